variable "name" {
  description = "Name of the SNS topic: 1-256 letters, digits, hyphens and underscores; a FIFO topic's name ends in `.fifo`."
  type        = string

  validation {
    condition     = length(var.name) >= 1 && length(var.name) <= 256 && can(regex("^[A-Za-z0-9_-]+(\\.fifo)?$", var.name))
    error_message = "The topic name must be 1-256 characters of letters, digits, hyphens and underscores, optionally followed by \".fifo\"."
  }
}

variable "fifo" {
  description = "Create a FIFO topic. The name must end in `.fifo` exactly when this is true (checked by a precondition)."
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

variable "subscriber_account_ids" {
  description = "12-digit account ids granted `sns:Subscribe` on the topic, for the `sqs` protocol only. Leave empty for none."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.subscriber_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "Every subscriber account id must be exactly 12 digits, as a string (e.g. \"123456789012\")."
  }
}

variable "lambda_subscriber_account_ids" {
  description = "12-digit account ids granted `sns:Subscribe` on the topic for the `lambda` protocol only (their functions subscribe across accounts). Leave empty for none."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.lambda_subscriber_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "Every Lambda subscriber account id must be exactly 12 digits, as a string (e.g. \"123456789012\")."
  }
}

variable "publisher_account_ids" {
  description = "12-digit account ids granted `sns:Publish` on the topic. Leave empty for none."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.publisher_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "Every publisher account id must be exactly 12 digits, as a string (e.g. \"123456789012\")."
  }
}

variable "kms_master_key_id" {
  description = "ARN of a customer-managed KMS key, in the topic's region, that encrypts the topic at rest (SSE); `null` for none. Its key policy must let every publisher `kms:GenerateDataKey` and `kms:Decrypt` (see the `kms` module)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_master_key_id == null ? true : can(regex("^arn:[^:]+:kms:[^:]+:[0-9]{12}:(key|alias)/.+$", var.kms_master_key_id))
    error_message = "kms_master_key_id must be a KMS key or alias ARN (arn:<partition>:kms:<region>:<account>:key/<id>) or null."
  }
}

variable "tags" {
  description = "Tags applied to the topic."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256])
    error_message = "Tag keys must be 1-128 characters and tag values at most 256 characters."
  }
}
