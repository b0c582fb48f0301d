output "arn" {
  description = "ARN of the SNS topic. It depends on the topic policy, so whoever uses it (for example a cross-account subscription) waits until the policy is in place."
  value       = aws_sns_topic.this.arn

  # Cross-account subscribers need the topic policy in place before they call Subscribe.
  depends_on = [aws_sns_topic_policy.this]
}

output "name" {
  description = "Name of the SNS topic (ends in `.fifo` for a FIFO topic)."
  value       = aws_sns_topic.this.name
}
