output "arn" {
  description = "ARN of the SQS queue. Waits for the queue policy, so whoever subscribes the queue or sends to it finds the policy in place."
  value       = aws_sqs_queue.this.arn

  # Whoever subscribes the queue or sends to it needs the queue policy in place first.
  depends_on = [aws_sqs_queue_policy.this]
}

output "url" {
  description = "URL of the SQS queue (the resource id; what `SendMessage` and `ReceiveMessage` take). Waits for the queue policy."
  value       = aws_sqs_queue.this.id

  depends_on = [aws_sqs_queue_policy.this]
}

output "name" {
  description = "Name of the SQS queue (ends in `.fifo` for a FIFO queue)."
  value       = aws_sqs_queue.this.name
}
