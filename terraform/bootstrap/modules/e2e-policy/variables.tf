variable "partition" {
  description = "AWS partition of the account (aws, aws-cn, aws-us-gov), from data \"aws_partition\"."
  type        = string
}

variable "account_id" {
  description = "The test account whose e2e role gets this policy (12 digits)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "The account_id must be 12 digits."
  }
}

variable "kit_account_ids" {
  description = "Every test account of the topology: publishing to their topics, sending to their queues, subscribing and reading their payload buckets is allowed. The role's own account is always included."
  type        = list(string)
  default     = []
}

variable "name_prefix" {
  description = "Prefix of every physical name the kit creates (the harness names resources hx-<run-id>-<logical>)."
  type        = string
  default     = "hx-"
}

variable "run_id_tag_key" {
  description = "Tag the harness puts on every topic and queue it creates; creating or tagging one without it is refused."
  type        = string
  default     = "harness:run-id"
}

variable "role_path" {
  description = "IAM path under which the harness creates the Lambda functions' execution roles (the function module's role_path; the harness passes /hx/)."
  type        = string
  default     = "/hx/"

  validation {
    condition     = can(regex("^/([A-Za-z0-9_+=,.@-]+/)*$", var.role_path))
    error_message = "role_path must start and end with / (e.g. /hx/)."
  }
}

variable "boundary_policy_name" {
  description = "Name of the account's managed policy that every execution role the harness creates must carry as its permissions boundary (created by ../account-role)."
  type        = string
  default     = "e2e-harness-function-boundary"
}
