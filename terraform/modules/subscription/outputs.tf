output "arn" {
  description = "ARN of the subscription."
  value       = local.body_scope ? aws_sns_topic_subscription.body_scope[0].arn : aws_sns_topic_subscription.this[0].arn
}

output "pending_filter_scope" {
  description = "`\"MessageBody\"` when the caller must still set `FilterPolicyScope` (then `FilterPolicy`) with `SetSubscriptionAttributes` after apply; `null` when Terraform set everything."
  value       = local.body_scope ? "MessageBody" : null
}

output "pending_filter_policy" {
  description = "The filter policy (JSON) the caller must set after `FilterPolicyScope`, for the `MessageBody` scope; `null` otherwise."
  value       = local.body_scope ? var.filter_policy : null
}
