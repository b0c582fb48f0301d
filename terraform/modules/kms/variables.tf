variable "alias" {
  description = "Name of the key's alias, without the `alias/` prefix: 1-250 letters, digits, `/`, `_` and `-`; must not start with `aws/` (reserved for AWS managed keys). The harness uses `hx-<run-id>-<logical>`; its leftover sweep finds a run's keys by it."
  type        = string

  validation {
    condition     = length(var.alias) >= 1 && length(var.alias) <= 250 && can(regex("^[A-Za-z0-9/_-]+$", var.alias)) && !startswith(var.alias, "aws/")
    error_message = "The alias must be 1-250 characters of letters, digits, '/', '_' and '-', without the \"alias/\" prefix, and must not start with \"aws/\"."
  }
}

variable "label" {
  description = "What the key is for, stored as the key's KMS `Description` (at most 8192 characters)."
  type        = string
  default     = "customer-managed key of the messaging e2e harness"
  nullable    = false

  validation {
    condition     = length(var.label) <= 8192
    error_message = "The label must be at most 8192 characters."
  }
}

variable "encrypt_account_ids" {
  description = "12-digit account ids other than the key's own granted `kms:GenerateDataKey` and `kms:Encrypt`: payload writers (SSE-KMS), publishers of a topic and producers of a queue the key encrypts. Leave empty for none."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.encrypt_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "Every encrypt account id must be exactly 12 digits, as a string (e.g. \"123456789012\")."
  }
}

variable "decrypt_account_ids" {
  description = "12-digit account ids other than the key's own granted `kms:Decrypt`: payload readers, consumers of a queue the key encrypts and, as AWS requires, publishers and producers of encrypted topics and queues. Leave empty for none."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.decrypt_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "Every decrypt account id must be exactly 12 digits, as a string (e.g. \"123456789012\")."
  }
}

variable "sns_source_topic_arns" {
  description = "ARNs of the SNS topics that deliver into queues this key encrypts: `sns.amazonaws.com` may `kms:GenerateDataKey` and `kms:Decrypt` only with one of them as `aws:SourceArn`. Leave empty for none."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.sns_source_topic_arns : can(regex("^arn:[^:]+:sns:[^:]+:[0-9]{12}:.+$", arn))])
    error_message = "Every entry of sns_source_topic_arns must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)."
  }
}

variable "deletion_window_in_days" {
  description = "Days a destroyed key stays `PendingDeletion` before KMS deletes it (7-30; the default is the shortest AWS allows: keys of test runs)."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30 && floor(var.deletion_window_in_days) == var.deletion_window_in_days
    error_message = "deletion_window_in_days must be a whole number from 7 to 30."
  }
}

variable "enable_key_rotation" {
  description = "Rotate the key material yearly (AWS's recommendation for customer-managed symmetric keys)."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags applied to the key."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256])
    error_message = "Tag keys must be 1-128 characters and tag values at most 256 characters."
  }
}
