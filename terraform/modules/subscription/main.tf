locals {
  # arn:<partition>:<service>:<region>:<account>:<name>
  topic_region = split(":", var.topic_arn)[3]
  topic_fifo   = endswith(var.topic_arn, ".fifo")
  queue_fifo   = endswith(var.queue_arn, ".fifo")
}

resource "aws_sns_topic_subscription" "this" {
  topic_arn            = var.topic_arn
  protocol             = "sqs"
  endpoint             = var.queue_arn
  raw_message_delivery = var.raw_message_delivery
  filter_policy        = var.filter_policy
  redrive_policy = var.dead_letter_queue_arn == null ? null : jsonencode({
    deadLetterTargetArn = var.dead_letter_queue_arn
  })

  lifecycle {
    precondition {
      condition     = local.topic_fifo == local.queue_fifo
      error_message = "A FIFO topic can only deliver to a FIFO queue, and a standard topic only to a standard queue (topic ${var.topic_arn}, queue ${var.queue_arn})."
    }
    precondition {
      condition     = var.dead_letter_queue_arn == null ? true : split(":", var.dead_letter_queue_arn)[3] == local.topic_region
      error_message = "The subscription's dead-letter queue must be in the topic's region (${local.topic_region}), not ${try(split(":", var.dead_letter_queue_arn)[3], "?")}."
    }
    precondition {
      condition     = var.dead_letter_queue_arn == null ? true : endswith(var.dead_letter_queue_arn, ".fifo") == local.topic_fifo
      error_message = "The subscription's dead-letter queue must be a FIFO queue for a FIFO topic and a standard queue for a standard topic."
    }
  }
}
