"""SNS → SQS subscription: raw delivery, a filter policy on attributes or body, a subscription
dead-letter queue. Created by the queue's account where the target allows it (AWS's recommended
cross-account pattern), always in the topic's region. Terraform module: ``terraform/modules/subscription``.
"""
