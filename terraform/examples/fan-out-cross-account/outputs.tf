output "topic_arn" {
  description = "ARN of the topic in account A (what publishers call sns:Publish on)."
  value       = module.topic.arn
}

output "queue_urls" {
  description = "URL of each consumer's queue, by account (`b`, `c`)."
  value       = { b = module.queue_b.url, c = module.queue_c.url }
}

output "subscription_arns" {
  description = "ARN of each queue's subscription to the topic, by account (`b`, `c`)."
  value       = { b = module.subscription_b.arn, c = module.subscription_c.arn }
}

output "payload_bucket" {
  description = "Name of the payload bucket in account A (where senders offload large payloads)."
  value       = module.payloads.name
}
