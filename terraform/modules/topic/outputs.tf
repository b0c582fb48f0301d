output "arn" {
  description = "ARN of the SNS topic."
  value       = aws_sns_topic.this.arn

  # Cross-account subscribers need the topic policy in place before they call Subscribe.
  depends_on = [aws_sns_topic_policy.this]
}

output "name" {
  description = "Name of the SNS topic (ends in \".fifo\" for FIFO topics)."
  value       = aws_sns_topic.this.name
}
