# Cross-region delivery into a KMS-encrypted queue: account A's SNS topic in one region (us-east-1
# by default) delivers to account B's SQS queue in another (eu-west-1), encrypted at rest with a
# customer-managed key of B's. SNS asks KMS for a data key as the service itself, so the key policy
# admits sns.amazonaws.com, and only for deliveries from this topic (aws:SourceArn); without that
# statement SNS drops every message silently.

provider "aws" {
  alias               = "account_a"
  region              = var.topic_region
  allowed_account_ids = [var.account_a_id]

  assume_role {
    role_arn     = var.account_a_role_arn
    session_name = var.session_name
  }
}

provider "aws" {
  alias               = "account_b"
  region              = var.queue_region
  allowed_account_ids = [var.account_b_id]

  assume_role {
    role_arn     = var.account_b_role_arn
    session_name = var.session_name
  }
}

# Account B again, in the topic's region: a subscription lives with its topic, and on AWS the
# queue's account creates it (SNS confirms a subscription its endpoint's owner creates at once).
provider "aws" {
  alias               = "account_b_topic_region"
  region              = var.topic_region
  allowed_account_ids = [var.account_b_id]

  assume_role {
    role_arn     = var.account_b_role_arn
    session_name = var.session_name
  }
}

# Account A, topic region: the topic. Its policy lets B subscribe (SQS endpoints only).
module "topic" {
  source    = "../../modules/topic"
  providers = { aws = aws.account_a }

  name                   = "${var.name_prefix}-events"
  subscriber_account_ids = [var.account_b_id]
  tags                   = var.tags
}

# Account B, queue region: the key. B's own account administers it and, through IAM, lets B's
# consumers decrypt; SNS may use it only for deliveries from the topic above.
module "queue_key" {
  source    = "../../modules/kms"
  providers = { aws = aws.account_b }

  alias                 = "${var.name_prefix}-queue-key"
  label                 = "encrypts ${var.name_prefix}-events-eu at rest"
  sns_source_topic_arns = [module.topic.arn]
  tags                  = var.tags
}

# Account B, queue region: the encrypted queue, admitting deliveries from the topic only.
module "queue" {
  source    = "../../modules/queue"
  providers = { aws = aws.account_b }

  name              = "${var.name_prefix}-events-eu"
  kms_master_key_id = module.queue_key.arn
  max_message_size  = var.queue_max_message_size
  source_topic_arns = [module.topic.arn]
  tags              = var.tags
}

# Account B, topic region: the subscription. module.queue.arn is known only once the queue policy
# exists, so SNS's first delivery is admitted.
module "subscription" {
  source    = "../../modules/subscription"
  providers = { aws = aws.account_b_topic_region }

  topic_arn            = module.topic.arn
  queue_arn            = module.queue.arn
  raw_message_delivery = true
}
