# Fan-out across accounts: account A owns an SNS topic and the payload bucket; accounts B and C each
# own an SQS queue subscribed to the topic, and may read (and delete) the large payloads that
# senders offload into A's bucket (the extended-client pattern: the message carries a pointer).
#
# One provider per account, each assuming a role in its account and refusing to touch any other
# (allowed_account_ids). Every resource lives in var.region.

provider "aws" {
  alias               = "account_a"
  region              = var.region
  allowed_account_ids = [var.account_a_id]

  assume_role {
    role_arn     = var.account_a_role_arn
    session_name = var.session_name
  }
}

provider "aws" {
  alias               = "account_b"
  region              = var.region
  allowed_account_ids = [var.account_b_id]

  assume_role {
    role_arn     = var.account_b_role_arn
    session_name = var.session_name
  }
}

provider "aws" {
  alias               = "account_c"
  region              = var.region
  allowed_account_ids = [var.account_c_id]

  assume_role {
    role_arn     = var.account_c_role_arn
    session_name = var.session_name
  }
}

locals {
  consumer_account_ids = [var.account_b_id, var.account_c_id]
}

# Account A: the topic. Its policy lets B and C subscribe (SQS endpoints only) and nothing else;
# A's own publishers keep their access through IAM.
module "topic" {
  source    = "../../modules/topic"
  providers = { aws = aws.account_a }

  name                   = "${var.name_prefix}-orders"
  subscriber_account_ids = local.consumer_account_ids
  tags                   = var.tags
}

# Account A: the payload bucket. B and C may get, list and delete payloads; A's senders write
# them through IAM (add writer_account_ids for senders in other accounts).
module "payloads" {
  source    = "../../modules/payload-bucket"
  providers = { aws = aws.account_a }

  name               = "${var.name_prefix}-payloads-${var.account_a_id}"
  reader_account_ids = local.consumer_account_ids
  readers_may_delete = true
  object_ownership   = var.bucket_object_ownership
  tags               = var.tags
}

# Accounts B and C: one queue each, admitting deliveries from the topic only (aws:SourceArn).
module "queue_b" {
  source    = "../../modules/queue"
  providers = { aws = aws.account_b }

  name              = "${var.name_prefix}-orders-b"
  max_message_size  = var.queue_max_message_size
  source_topic_arns = [module.topic.arn]
  tags              = var.tags
}

module "queue_c" {
  source    = "../../modules/queue"
  providers = { aws = aws.account_c }

  name              = "${var.name_prefix}-orders-c"
  max_message_size  = var.queue_max_message_size
  source_topic_arns = [module.topic.arn]
  tags              = var.tags
}

# Each queue's own account subscribes it, in the topic's region: SNS confirms a subscription that
# the endpoint's owner creates at once (one created by A would wait for a confirmation message).
# module.queue_*.arn is known only once the queue policy exists, so SNS's first delivery is admitted.
module "subscription_b" {
  source    = "../../modules/subscription"
  providers = { aws = aws.account_b }

  topic_arn            = module.topic.arn
  queue_arn            = module.queue_b.arn
  raw_message_delivery = true
}

module "subscription_c" {
  source    = "../../modules/subscription"
  providers = { aws = aws.account_c }

  topic_arn            = module.topic.arn
  queue_arn            = module.queue_c.arn
  raw_message_delivery = true
}
