locals {
  # arn:<partition>:<service>:<region>:<account>:<name>
  topic_region = split(":", var.topic_arn)[3]
  topic_fifo   = endswith(var.topic_arn, ".fifo")
  to_function  = var.function_arn != null
  protocol     = local.to_function ? "lambda" : "sqs"
  endpoint     = local.to_function ? var.function_arn : var.queue_arn
  one_endpoint = (var.queue_arn == null) != (var.function_arn == null)
  # A FIFO topic delivers only to FIFO queues (never to a function); a standard topic only to standard queues.
  kinds_match = local.to_function ? !local.topic_fifo : (var.queue_arn == null ? false : endswith(var.queue_arn, ".fifo") == local.topic_fifo)
  # SNS invokes functions of the topic's region only.
  same_region = local.to_function ? split(":", var.function_arn)[3] == local.topic_region : true
  body_scope  = var.filter_scope == "MessageBody"
  redrive_policy = var.dead_letter_queue_arn == null ? null : jsonencode({
    deadLetterTargetArn = var.dead_letter_queue_arn
  })
  dlq_in_topic_region = var.dead_letter_queue_arn == null ? true : split(":", var.dead_letter_queue_arn)[3] == local.topic_region
  dlq_kind_matches    = var.dead_letter_queue_arn == null ? true : endswith(var.dead_letter_queue_arn, ".fifo") == local.topic_fifo
}

# Filter on message attributes (SNS's default scope): Terraform manages the filter policy.
resource "aws_sns_topic_subscription" "this" {
  count = local.body_scope ? 0 : 1

  topic_arn            = var.topic_arn
  protocol             = local.protocol
  endpoint             = local.endpoint
  raw_message_delivery = local.to_function ? false : var.raw_message_delivery
  filter_policy        = var.filter_policy
  redrive_policy       = local.redrive_policy

  lifecycle {
    precondition {
      condition     = local.one_endpoint
      error_message = "Give exactly one endpoint: queue_arn (protocol sqs) or function_arn (protocol lambda)."
    }
    precondition {
      condition     = local.kinds_match
      error_message = "A FIFO topic can only deliver to a FIFO queue (never to a Lambda function), and a standard topic only to a standard queue or a function (topic ${var.topic_arn}, endpoint ${coalesce(var.queue_arn, var.function_arn, "none")})."
    }
    precondition {
      condition     = local.same_region
      error_message = "SNS invokes Lambda functions of the topic's region (${local.topic_region}) only, not ${try(split(":", var.function_arn)[3], "?")}."
    }
    precondition {
      condition     = !(local.to_function && var.raw_message_delivery)
      error_message = "raw_message_delivery applies to queue endpoints; SNS invokes a function with its JSON record."
    }
    precondition {
      condition     = local.dlq_in_topic_region
      error_message = "The subscription's dead-letter queue must be in the topic's region (${local.topic_region}), not ${try(split(":", var.dead_letter_queue_arn)[3], "?")}."
    }
    precondition {
      condition     = local.dlq_kind_matches
      error_message = "The subscription's dead-letter queue must be a FIFO queue for a FIFO topic and a standard queue for a standard topic."
    }
  }
}

# Filter on the message body. Provider 3.39 has no argument for the scope, and SNS refuses a
# nested policy while the scope is still MessageAttributes, so Terraform creates the subscription
# without a policy and the caller sets FilterPolicyScope, then FilterPolicy, with
# SetSubscriptionAttributes after the apply (outputs pending_filter_scope and
# pending_filter_policy). Terraform ignores the policy here, so a later plan does not remove it.
resource "aws_sns_topic_subscription" "body_scope" {
  count = local.body_scope ? 1 : 0

  topic_arn            = var.topic_arn
  protocol             = local.protocol
  endpoint             = local.endpoint
  raw_message_delivery = local.to_function ? false : var.raw_message_delivery
  redrive_policy       = local.redrive_policy

  lifecycle {
    ignore_changes = [filter_policy]

    precondition {
      condition     = local.one_endpoint
      error_message = "Give exactly one endpoint: queue_arn (protocol sqs) or function_arn (protocol lambda)."
    }
    precondition {
      condition     = local.kinds_match
      error_message = "A FIFO topic can only deliver to a FIFO queue (never to a Lambda function), and a standard topic only to a standard queue or a function (topic ${var.topic_arn}, endpoint ${coalesce(var.queue_arn, var.function_arn, "none")})."
    }
    precondition {
      condition     = local.same_region
      error_message = "SNS invokes Lambda functions of the topic's region (${local.topic_region}) only, not ${try(split(":", var.function_arn)[3], "?")}."
    }
    precondition {
      condition     = !(local.to_function && var.raw_message_delivery)
      error_message = "raw_message_delivery applies to queue endpoints; SNS invokes a function with its JSON record."
    }
    precondition {
      condition     = local.dlq_in_topic_region
      error_message = "The subscription's dead-letter queue must be in the topic's region (${local.topic_region}), not ${try(split(":", var.dead_letter_queue_arn)[3], "?")}."
    }
    precondition {
      condition     = local.dlq_kind_matches
      error_message = "The subscription's dead-letter queue must be a FIFO queue for a FIFO topic and a standard queue for a standard topic."
    }
    precondition {
      condition     = var.filter_policy != null
      error_message = "filter_scope = \"MessageBody\" needs a filter_policy."
    }
  }
}

# Runs applied before the body-scope variant existed keep their subscription.
moved {
  from = aws_sns_topic_subscription.this
  to   = aws_sns_topic_subscription.this[0]
}
