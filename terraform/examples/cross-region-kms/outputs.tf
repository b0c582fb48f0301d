output "topic_arn" {
  description = "ARN of the topic in account A (what publishers call sns:Publish on)."
  value       = module.topic.arn
}

output "queue_url" {
  description = "URL of the encrypted queue in account B (what consumers receive from)."
  value       = module.queue.url
}

output "queue_key_arn" {
  description = "ARN of the key that encrypts the queue; B's consumers need `kms:Decrypt` on it in IAM."
  value       = module.queue_key.arn
}

output "subscription_arn" {
  description = "ARN of the queue's subscription to the topic."
  value       = module.subscription.arn
}
