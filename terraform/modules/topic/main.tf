# The partition (aws, aws-cn, aws-us-gov) of the provider's region: principals' ARNs use it.
data "aws_partition" "current" {}

locals {
  subscriber_principals        = [for id in distinct(var.subscriber_account_ids) : "arn:${data.aws_partition.current.partition}:iam::${id}:root"]
  lambda_subscriber_principals = [for id in distinct(var.lambda_subscriber_account_ids) : "arn:${data.aws_partition.current.partition}:iam::${id}:root"]
  publisher_principals         = [for id in distinct(var.publisher_account_ids) : "arn:${data.aws_partition.current.partition}:iam::${id}:root"]

  subscribe_statements = length(local.subscriber_principals) == 0 ? [] : [{
    Sid       = "AllowCrossAccountSubscribe"
    Effect    = "Allow"
    Principal = { AWS = local.subscriber_principals }
    Action    = "sns:Subscribe"
    Resource  = aws_sns_topic.this.arn
    Condition = { StringEquals = { "sns:Protocol" = "sqs" } }
  }]

  # Accounts whose Lambda functions subscribe (protocol lambda), kept apart from the queue
  # subscribers: an account that may subscribe its queues may not subscribe functions, and back.
  lambda_subscribe_statements = length(local.lambda_subscriber_principals) == 0 ? [] : [{
    Sid       = "AllowCrossAccountLambdaSubscribe"
    Effect    = "Allow"
    Principal = { AWS = local.lambda_subscriber_principals }
    Action    = "sns:Subscribe"
    Resource  = aws_sns_topic.this.arn
    Condition = { StringEquals = { "sns:Protocol" = "lambda" } }
  }]

  publish_statements = length(local.publisher_principals) == 0 ? [] : [{
    Sid       = "AllowCrossAccountPublish"
    Effect    = "Allow"
    Principal = { AWS = local.publisher_principals }
    Action    = "sns:Publish"
    Resource  = aws_sns_topic.this.arn
  }]
}

resource "aws_sns_topic" "this" {
  name                        = var.name
  fifo_topic                  = var.fifo
  content_based_deduplication = var.content_based_deduplication
  kms_master_key_id           = var.kms_master_key_id
  tags                        = var.tags

  lifecycle {
    precondition {
      condition     = var.fifo == endswith(var.name, ".fifo")
      error_message = "A FIFO topic's name must end in \".fifo\" and a standard topic's name must not (fifo = ${var.fifo}, name = \"${var.name}\")."
    }
    precondition {
      condition     = var.fifo || !var.content_based_deduplication
      error_message = "content_based_deduplication can only be enabled on a FIFO topic (set fifo = true or leave it false)."
    }
  }
}

# Only when some other account needs access: a topic policy replaces SNS's default policy.
# Same-account principals keep their access through IAM identity policies.
resource "aws_sns_topic_policy" "this" {
  count = length(local.subscriber_principals) + length(local.lambda_subscriber_principals) + length(local.publisher_principals) > 0 ? 1 : 0

  arn = aws_sns_topic.this.arn
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(local.subscribe_statements, local.lambda_subscribe_statements, local.publish_statements)
  })
}
