variable "topic_region" {
  description = "Region of the topic (and of the subscription, which lives with its topic)."
  type        = string
  default     = "us-east-1"
  nullable    = false
}

variable "queue_region" {
  description = "Region of the encrypted queue and its key (a queue can only use a key of its own region)."
  type        = string
  default     = "eu-west-1"
  nullable    = false
}

variable "account_a_id" {
  description = "12-digit id of account A, which owns the topic."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_a_id))
    error_message = "account_a_id must be exactly 12 digits, as a string."
  }
}

variable "account_a_role_arn" {
  description = "Role in account A that Terraform assumes (e.g. `arn:aws:iam::111111111111:role/terraform`); it needs to manage SNS topics."
  type        = string

  validation {
    condition     = can(regex("^arn:[^:]+:iam::[0-9]{12}:role/.+$", var.account_a_role_arn))
    error_message = "account_a_role_arn must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "account_b_id" {
  description = "12-digit id of account B, which owns the key, the queue and the subscription."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_b_id))
    error_message = "account_b_id must be exactly 12 digits, as a string."
  }
}

variable "account_b_role_arn" {
  description = "Role in account B that Terraform assumes, in both regions; it needs to manage KMS keys and aliases, SQS queues and SNS subscriptions."
  type        = string

  validation {
    condition     = can(regex("^arn:[^:]+:iam::[0-9]{12}:role/.+$", var.account_b_role_arn))
    error_message = "account_b_role_arn must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "session_name" {
  description = "Session name of every assumed role (CloudTrail shows it)."
  type        = string
  default     = "terraform-cross-region-kms-example"
  nullable    = false
}

variable "name_prefix" {
  description = "Prefix of every name (topic, queue, key alias): letters, digits, hyphens and underscores."
  type        = string
  default     = "xregion-demo"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$", var.name_prefix))
    error_message = "name_prefix must be 1-40 letters, digits, hyphens and underscores, starting with a letter or digit."
  }
}

variable "queue_max_message_size" {
  description = "Largest message the queue accepts, in bytes. 262144 plans on every provider; raise it to 1048576 (SQS's limit since 2025) with provider 3.x or a 6.x that accepts it (4.x and 5.x reject more than 262144)."
  type        = number
  default     = 262144
  nullable    = false
}

variable "tags" {
  description = "Tags applied to every taggable resource."
  type        = map(string)
  default     = { example = "cross-region-kms" }
  nullable    = false
}
