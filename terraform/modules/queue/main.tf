# The partition (aws, aws-cn, aws-us-gov) of the provider's region: principals' ARNs use it.
data "aws_partition" "current" {}

locals {
  producer_principals = [for id in distinct(var.producer_account_ids) : "arn:${data.aws_partition.current.partition}:iam::${id}:root"]

  sns_statements = length(var.source_topic_arns) == 0 ? [] : [{
    Sid       = "AllowSnsTopicsToDeliver"
    Effect    = "Allow"
    Principal = { Service = "sns.amazonaws.com" }
    Action    = "sqs:SendMessage"
    Resource  = aws_sqs_queue.this.arn
    Condition = { ArnEquals = { "aws:SourceArn" = distinct(var.source_topic_arns) } }
  }]

  producer_statements = length(local.producer_principals) == 0 ? [] : [{
    Sid       = "AllowProducerAccountsToSend"
    Effect    = "Allow"
    Principal = { AWS = local.producer_principals }
    Action    = ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
    Resource  = aws_sqs_queue.this.arn
  }]

  # Lambda sends the record of a failed asynchronous invocation as the function's execution role:
  # a role of another account is admitted by name, for SendMessage only.
  sender_role_statements = length(var.sender_role_arns) == 0 ? [] : [{
    Sid       = "AllowFunctionRolesToSendFailureRecords"
    Effect    = "Allow"
    Principal = { AWS = distinct(var.sender_role_arns) }
    Action    = "sqs:SendMessage"
    Resource  = aws_sqs_queue.this.arn
  }]
}

resource "aws_sqs_queue" "this" {
  name                        = var.name
  fifo_queue                  = var.fifo
  content_based_deduplication = var.content_based_deduplication
  visibility_timeout_seconds  = var.visibility_timeout_seconds
  message_retention_seconds   = var.message_retention_seconds
  max_message_size            = var.max_message_size
  kms_master_key_id           = var.kms_master_key_id
  redrive_policy = var.redrive == null ? null : jsonencode({
    deadLetterTargetArn = var.redrive.dead_letter_queue_arn
    maxReceiveCount     = var.redrive.max_receive_count
  })
  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.fifo == endswith(var.name, ".fifo")
      error_message = "A FIFO queue's name must end in \".fifo\" and a standard queue's name must not (fifo = ${var.fifo}, name = \"${var.name}\")."
    }
    precondition {
      condition     = var.fifo || !var.content_based_deduplication
      error_message = "content_based_deduplication can only be enabled on a FIFO queue (set fifo = true or leave it false)."
    }
    precondition {
      # Checked once the DLQ's ARN is known (at apply time when it is created in the same run).
      condition     = var.redrive == null ? true : endswith(var.redrive.dead_letter_queue_arn, ".fifo") == var.fifo
      error_message = "The dead-letter queue must be of the same kind as the queue: a FIFO queue needs a FIFO DLQ and a standard queue a standard DLQ."
    }
  }
}

# Only when someone outside the account must send: a queue without a policy admits only
# same-account principals whose IAM identity policies allow it.
resource "aws_sqs_queue_policy" "this" {
  count = length(local.sns_statements) + length(local.producer_statements) + length(local.sender_role_statements) > 0 ? 1 : 0

  queue_url = aws_sqs_queue.this.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(local.sns_statements, local.producer_statements, local.sender_role_statements)
  })
}
