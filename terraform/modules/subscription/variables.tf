variable "topic_arn" {
  description = "ARN of the SNS topic to subscribe to (`arn:<partition>:sns:<region>:<account>:<name>`). The subscription is created in this topic's region, by whichever provider the caller passes in."
  type        = string

  validation {
    condition     = startswith(var.topic_arn, "arn:") && can(regex("^arn:[^:]+:sns:[^:]+:[0-9]{12}:[^:]+$", var.topic_arn))
    error_message = "topic_arn must be an SNS topic ARN: arn:<partition>:sns:<region>:<12-digit account>:<topic name>."
  }
}

variable "queue_arn" {
  description = "ARN of the SQS queue that receives the topic's messages (`arn:<partition>:sqs:<region>:<account>:<name>`), in any account or region; `null` when `function_arn` is the endpoint. A FIFO topic needs a FIFO queue and a standard topic a standard queue (checked by a precondition). Its queue policy must admit `sns.amazonaws.com` with `aws:SourceArn` = `topic_arn`."
  type        = string
  default     = null

  validation {
    condition     = var.queue_arn == null ? true : can(regex("^arn:[^:]+:sqs:[^:]+:[0-9]{12}:[^:]+$", var.queue_arn))
    error_message = "queue_arn must be an SQS queue ARN: arn:<partition>:sqs:<region>:<12-digit account>:<queue name>, or null."
  }
}

variable "function_arn" {
  description = "ARN of the Lambda function SNS invokes instead of a queue (protocol `lambda`): in any account, in the topic's region (checked by a precondition), for a standard topic only. Its resource policy must admit `sns.amazonaws.com` with `aws:SourceArn` = `topic_arn` (the `function` module's `source_topic_arns`). `null` for a queue endpoint."
  type        = string
  default     = null

  validation {
    condition     = var.function_arn == null ? true : can(regex("^arn:[^:]+:lambda:[^:]+:[0-9]{12}:function:[^:]+$", var.function_arn))
    error_message = "function_arn must be a Lambda function ARN (arn:<partition>:lambda:<region>:<12-digit account>:function:<name>) or null."
  }
}

variable "raw_message_delivery" {
  description = "Deliver the message body as is instead of wrapped in SNS's JSON envelope (message attributes become SQS message attributes). Queue endpoints only."
  type        = bool
  default     = false
  nullable    = false
}

variable "filter_policy" {
  description = "SNS filter policy as a JSON object string, e.g. `jsonencode({ kind = [\"invoice\"] })`, matched against the message attributes, or against the message body with `filter_scope = \"MessageBody\"`. `null` delivers every message."
  type        = string
  default     = null

  validation {
    condition     = var.filter_policy == null ? true : can(keys(jsondecode(var.filter_policy)))
    error_message = "filter_policy must be a JSON object, e.g. {\"kind\": [\"invoice\"]}, or null."
  }
}

variable "dead_letter_queue_arn" {
  description = "ARN of the subscription's dead-letter SQS queue, for messages SNS cannot deliver: in the subscribing account and the topic's region (the region is checked by a precondition), of the topic's kind (FIFO or standard), admitting the topic as `aws:SourceArn` (see Subscription dead-letter queue). `null` for none."
  type        = string
  default     = null

  validation {
    condition     = var.dead_letter_queue_arn == null ? true : can(regex("^arn:[^:]+:sqs:[^:]+:[0-9]{12}:[^:]+$", var.dead_letter_queue_arn))
    error_message = "dead_letter_queue_arn must be an SQS queue ARN (arn:<partition>:sqs:<region>:<12-digit account>:<queue name>) or null."
  }
}

variable "filter_scope" {
  description = "What the filter policy matches: `\"MessageAttributes\"` (SNS's default; Terraform sets the policy) or `\"MessageBody\"` (the JSON body, nested policies allowed; provider 3.39 cannot set the scope, so the caller sets `FilterPolicyScope` and then `FilterPolicy` after apply, see Message-body filtering and the outputs `pending_filter_scope` / `pending_filter_policy`)."
  type        = string
  default     = "MessageAttributes"
  nullable    = false

  validation {
    condition     = contains(["MessageAttributes", "MessageBody"], var.filter_scope)
    error_message = "filter_scope must be \"MessageAttributes\" or \"MessageBody\"."
  }
}
