output "arn" {
  description = "ARN of the key: what topics, queues and SSE-KMS uploads name. Waits for the alias."
  value       = aws_kms_key.this.arn

  # Ready once its alias exists (the sweep finds a run's keys by their alias).
  depends_on = [aws_kms_alias.this]
}

output "key_id" {
  description = "Id of the key."
  value       = aws_kms_key.this.key_id
}

output "name" {
  description = "The alias name, without the `alias/` prefix. Waits for the alias."
  value       = var.alias

  depends_on = [aws_kms_alias.this]
}
