variable "region" {
  description = "Region of every resource (the topic, both queues, the subscriptions and the bucket)."
  type        = string
  default     = "us-east-1"
  nullable    = false
}

variable "account_a_id" {
  description = "12-digit id of account A, which owns the topic and the payload bucket."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_a_id))
    error_message = "account_a_id must be exactly 12 digits, as a string."
  }
}

variable "account_a_role_arn" {
  description = "Role in account A that Terraform assumes (e.g. `arn:aws:iam::111111111111:role/terraform`); it needs to manage SNS topics and S3 buckets."
  type        = string

  validation {
    condition     = can(regex("^arn:[^:]+:iam::[0-9]{12}:role/.+$", var.account_a_role_arn))
    error_message = "account_a_role_arn must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "account_b_id" {
  description = "12-digit id of account B, which owns the first subscribed queue and reads payloads."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_b_id))
    error_message = "account_b_id must be exactly 12 digits, as a string."
  }
}

variable "account_b_role_arn" {
  description = "Role in account B that Terraform assumes; it needs to manage SQS queues and SNS subscriptions."
  type        = string

  validation {
    condition     = can(regex("^arn:[^:]+:iam::[0-9]{12}:role/.+$", var.account_b_role_arn))
    error_message = "account_b_role_arn must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "account_c_id" {
  description = "12-digit id of account C, which owns the second subscribed queue and reads payloads."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_c_id))
    error_message = "account_c_id must be exactly 12 digits, as a string."
  }
}

variable "account_c_role_arn" {
  description = "Role in account C that Terraform assumes; it needs to manage SQS queues and SNS subscriptions."
  type        = string

  validation {
    condition     = can(regex("^arn:[^:]+:iam::[0-9]{12}:role/.+$", var.account_c_role_arn))
    error_message = "account_c_role_arn must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "session_name" {
  description = "Session name of every assumed role (CloudTrail shows it)."
  type        = string
  default     = "terraform-fan-out-example"
  nullable    = false
}

variable "name_prefix" {
  description = "Prefix of every name: lowercase letters, digits and hyphens (the bucket name also carries account A's id)."
  type        = string
  default     = "fanout-demo"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,29}$", var.name_prefix))
    error_message = "name_prefix must be 1-30 lowercase letters, digits and hyphens, starting with a letter or digit."
  }
}

variable "bucket_object_ownership" {
  description = "S3 Object Ownership of the payload bucket: `BucketOwnerEnforced` with provider >= 4, `BucketOwnerPreferred` with provider 3.x (whose validation predates `BucketOwnerEnforced`)."
  type        = string
  default     = "BucketOwnerEnforced"
  nullable    = false
}

variable "queue_max_message_size" {
  description = "Largest message the queues accept, in bytes. 262144 plans on every provider; raise it to 1048576 (SQS's limit since 2025) with provider 3.x or a 6.x that accepts it (4.x and 5.x reject more than 262144)."
  type        = number
  default     = 262144
  nullable    = false
}

variable "tags" {
  description = "Tags applied to every taggable resource."
  type        = map(string)
  default     = { example = "fan-out-cross-account" }
  nullable    = false
}
