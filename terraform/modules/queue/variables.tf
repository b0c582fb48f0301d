variable "name" {
  description = "Name of the SQS queue: 1-80 letters, digits, hyphens and underscores; a FIFO queue's name ends in `.fifo` (counted in the 80)."
  type        = string

  validation {
    condition     = length(var.name) >= 1 && length(var.name) <= 80 && can(regex("^[A-Za-z0-9_-]+(\\.fifo)?$", var.name))
    error_message = "The queue name must be 1-80 characters of letters, digits, hyphens and underscores, optionally ending in \".fifo\"."
  }
}

variable "fifo" {
  description = "Create a FIFO queue. The name must end in `.fifo` exactly when this is true (checked by a precondition)."
  type        = bool
  default     = false
  nullable    = false
}

variable "content_based_deduplication" {
  description = "Enable content-based deduplication; only with `fifo = true` (checked by a precondition)."
  type        = bool
  default     = false
  nullable    = false
}

variable "visibility_timeout_seconds" {
  description = "Visibility timeout in seconds (0-43200, i.e. up to 12 hours)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200 && floor(var.visibility_timeout_seconds) == var.visibility_timeout_seconds
    error_message = "visibility_timeout_seconds must be a whole number from 0 to 43200 (12 hours)."
  }
}

variable "message_retention_seconds" {
  description = "How long SQS keeps a message, in seconds (60-1209600: 1 minute to 14 days; 4 days by default)."
  type        = number
  default     = 345600
  nullable    = false

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600 && floor(var.message_retention_seconds) == var.message_retention_seconds
    error_message = "message_retention_seconds must be a whole number from 60 to 1209600 (14 days)."
  }
}

variable "max_message_size" {
  description = "Largest message the queue accepts, in bytes (1024-1048576); the default is SQS's current 1 MiB limit. Provider 4.x, 5.x and early 6.x reject more than 262144 at plan time: pass 262144 with them (see the provider-version caveats)."
  type        = number
  default     = 1048576
  nullable    = false

  validation {
    condition     = var.max_message_size >= 1024 && var.max_message_size <= 1048576 && floor(var.max_message_size) == var.max_message_size
    error_message = "max_message_size must be a whole number of bytes from 1024 to 1048576 (1 MiB)."
  }
}

variable "redrive" {
  description = "Dead-letter redrive: the DLQ's ARN (same account and region; FIFO for a FIFO queue, standard for a standard one, checked by a precondition) and how many receives (1-1000) move a message there. `null` for none."
  type = object({
    dead_letter_queue_arn = string
    max_receive_count     = number
  })
  default = null

  validation {
    condition = var.redrive == null ? true : (
      can(regex("^arn:[^:]+:sqs:[^:]+:[0-9]{12}:.+$", var.redrive.dead_letter_queue_arn)) &&
      var.redrive.max_receive_count >= 1 && var.redrive.max_receive_count <= 1000 &&
      floor(var.redrive.max_receive_count) == var.redrive.max_receive_count
    )
    error_message = "redrive.dead_letter_queue_arn must be an SQS queue ARN (arn:<partition>:sqs:<region>:<account>:<name>) and redrive.max_receive_count a whole number from 1 to 1000."
  }
}

variable "source_topic_arns" {
  description = "ARNs of the SNS topics allowed to deliver to this queue, in any account or region (matched with `aws:SourceArn`). Leave empty for none."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.source_topic_arns : can(regex("^arn:[^:]+:sns:[^:]+:[0-9]{12}:.+$", arn))])
    error_message = "Every entry of source_topic_arns must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)."
  }
}

variable "producer_account_ids" {
  description = "12-digit account ids allowed to send directly: `sqs:SendMessage`, `sqs:GetQueueUrl` and `sqs:GetQueueAttributes`. Leave empty for none."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.producer_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "Every producer account id must be exactly 12 digits, as a string (e.g. \"123456789012\")."
  }
}

variable "sender_role_arns" {
  description = "ARNs of IAM roles in other accounts allowed `sqs:SendMessage` (and nothing else): the execution roles of Lambda functions whose on-failure destination this queue is. Leave empty for none."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.sender_role_arns : can(regex("^arn:[^:]+:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "Every entry of sender_role_arns must be an IAM role ARN (arn:<partition>:iam::<account>:role/<path><name>)."
  }
}

variable "kms_master_key_id" {
  description = "ARN of a customer-managed KMS key, in the queue's region, that encrypts the queue at rest (SSE); `null` for none. Its key policy must let producers `kms:GenerateDataKey` and `kms:Decrypt`, the queue's consumers `kms:Decrypt`, and `sns.amazonaws.com`, bound by `aws:SourceArn` to the feeding topics, `kms:GenerateDataKey` and `kms:Decrypt`; the `kms` module writes exactly that. Without the SNS grant, SNS silently drops every delivery."
  type        = string
  default     = null

  validation {
    condition     = var.kms_master_key_id == null ? true : can(regex("^arn:[^:]+:kms:[^:]+:[0-9]{12}:(key|alias)/.+$", var.kms_master_key_id))
    error_message = "kms_master_key_id must be a KMS key or alias ARN (arn:<partition>:kms:<region>:<account>:key/<id>) or null."
  }
}

variable "tags" {
  description = "Tags applied to the queue."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256])
    error_message = "Tag keys must be 1-128 characters and tag values at most 256 characters."
  }
}
