output "arn" {
  description = "ARN of the Lambda function. Waits for its SNS permissions, so a subscription made with it can be invoked at once."
  value       = aws_lambda_function.this.arn

  depends_on = [aws_lambda_permission.sns]
}

output "name" {
  description = "Name of the Lambda function (also its execution role's name)."
  value       = aws_lambda_function.this.function_name
}

output "role_arn" {
  description = "ARN of the function's execution role (with its path)."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the function's execution role (its policy is the inline `least-privilege`)."
  value       = aws_iam_role.this.name
}

output "receipts_queue_url" {
  description = "URL of the queue the handler writes its receipts to (`HARNESS_RECEIPTS_URL`)."
  value       = aws_sqs_queue.receipts.id
}

output "receipts_queue_arn" {
  description = "ARN of the receipts queue."
  value       = aws_sqs_queue.receipts.arn
}

output "event_source_mapping_uuid" {
  description = "UUID of the event source mapping from `event_source.queue_arn`; `\"\"` without one."
  value       = var.event_source == null ? "" : aws_lambda_event_source_mapping.this[0].uuid
}

output "pending_function_response_types" {
  description = "`[\"ReportBatchItemFailures\"]` when the caller must still set the mapping's `FunctionResponseTypes` with `UpdateEventSourceMapping` after apply (provider 3.39 cannot); `[]` otherwise."
  value       = var.event_source == null ? [] : (var.event_source.report_batch_item_failures ? ["ReportBatchItemFailures"] : [])
}
