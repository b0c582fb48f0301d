variable "name" {
  description = "Name of the Lambda function and of its execution role: 1-64 letters, digits, hyphens and underscores."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "The function name must be 1-64 letters, digits, hyphens and underscores (it also names the IAM role)."
  }
}

variable "receipts_queue_name" {
  description = "Name of the SQS queue the handler writes one receipt per message to (standard, 1 hour retention); the function's role may only send to it."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,80}$", var.receipts_queue_name))
    error_message = "The receipts queue name must be 1-80 letters, digits, hyphens and underscores."
  }
}

variable "package_file" {
  description = "Path of the deployment package (.zip) to upload. The harness builds it reproducibly (`harness.provision.function_package`)."
  type        = string
}

variable "package_sha256" {
  description = "Base64 of the package's sha256 (`filebase64sha256`), so a changed package is redeployed and an identical one is not."
  type        = string
}

variable "handler" {
  description = "The handler, `module.function` inside the package."
  type        = string
  default     = "harness.payload.lambda_handler.handle"
  nullable    = false
}

variable "runtime" {
  description = "The Lambda runtime: a current Python runtime (the package is pure Python)."
  type        = string
  default     = "python3.12"
  nullable    = false

  validation {
    condition     = can(regex("^python3\\.[0-9]+$", var.runtime))
    error_message = "runtime must be a Python runtime such as python3.12: the package is the kit's Python consumer."
  }
}

variable "memory_size" {
  description = "Memory in MB (128-10240)."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be 128 to 10240 MB."
  }
}

variable "timeout" {
  description = "Timeout in seconds (1-900). A polled queue's visibility timeout must not be shorter."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be 1 to 900 seconds."
  }
}

variable "environment" {
  description = "Environment variables for the handler (the module adds `HARNESS_RECEIPTS_URL`)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "source_topic_arns" {
  description = "ARNs of the SNS topics that invoke the function (each gets a resource-policy statement for `sns.amazonaws.com` with `aws:SourceArn` = the topic), in the function's region, in any account. Leave empty for none."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.source_topic_arns : can(regex("^arn:[^:]+:sns:[^:]+:[0-9]{12}:[^:]+$", arn))])
    error_message = "Every source topic must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)."
  }
}

variable "event_source" {
  description = "The queue the function polls (an event source mapping): its ARN (same account and region as the function), records per batch (1-10000; a FIFO queue 10), the batching window in seconds (0-300; at least 1 for batches over 10) and whether failed items are reported one by one (`ReportBatchItemFailures`, set after apply). `null` for none."
  type = object({
    queue_arn                          = string
    batch_size                         = number
    maximum_batching_window_in_seconds = number
    report_batch_item_failures         = bool
  })
  default = null

  validation {
    condition     = var.event_source == null ? true : can(regex("^arn:[^:]+:sqs:[^:]+:[0-9]{12}:[^:]+$", var.event_source.queue_arn))
    error_message = "event_source.queue_arn must be an SQS queue ARN."
  }

  validation {
    condition     = var.event_source == null ? true : (var.event_source.batch_size >= 1 && var.event_source.batch_size <= 10000 && var.event_source.maximum_batching_window_in_seconds >= 0 && var.event_source.maximum_batching_window_in_seconds <= 300)
    error_message = "event_source.batch_size must be 1-10000 and maximum_batching_window_in_seconds 0-300."
  }
}

variable "payload_bucket_arns" {
  description = "ARNs of the payload buckets the function reads (`s3:GetObject` on their objects, `s3:ListBucket` on them). Their bucket policies must admit the function's account (the `payload-bucket` module's `reader_account_ids`). Leave empty for none."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "delete_payload_bucket_arns" {
  description = "ARNs of the payload buckets whose objects the function may delete once it acknowledged their message (`s3:DeleteObject`). Leave empty for none."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "kms_key_arns" {
  description = "ARNs of the KMS keys the function decrypts with (the keys of its queue and of the payload buckets it reads); their key policies must let the function's account decrypt. Leave empty for none."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "async_invocation" {
  description = "How Lambda handles the function's asynchronous invocations (SNS invokes it so): retries of a failed one (`maximum_retry_attempts`, 0-2; `null` for Lambda's default, 2), the oldest event it still tries (`maximum_event_age_in_seconds`, 60-21600; `null` for 6 hours), and the standard SQS queue that gets a record of each event that failed for good (`on_failure_destination_arn`, with `on_failure_kms_key_arn` when that queue is encrypted; `null` for none). The role may send there (`SendFailureRecords`); a queue in another account must admit the role in its policy (the `queue` module's `sender_role_arns`). `null`: Lambda's defaults, no destination."
  type = object({
    maximum_retry_attempts       = number
    maximum_event_age_in_seconds = number
    on_failure_destination_arn   = string
    on_failure_kms_key_arn       = string
  })
  default = null

  validation {
    condition     = var.async_invocation == null ? true : (try(var.async_invocation.maximum_retry_attempts, null) == null ? true : var.async_invocation.maximum_retry_attempts >= 0 && var.async_invocation.maximum_retry_attempts <= 2)
    error_message = "async_invocation.maximum_retry_attempts must be 0, 1 or 2 (or null for Lambda's default)."
  }

  validation {
    condition     = var.async_invocation == null ? true : (try(var.async_invocation.maximum_event_age_in_seconds, null) == null ? true : var.async_invocation.maximum_event_age_in_seconds >= 60 && var.async_invocation.maximum_event_age_in_seconds <= 21600)
    error_message = "async_invocation.maximum_event_age_in_seconds must be 60 to 21600 seconds (or null for Lambda's default)."
  }

  validation {
    condition     = var.async_invocation == null ? true : (try(var.async_invocation.on_failure_destination_arn, null) == null ? true : can(regex("^arn:[^:]+:sqs:[^:]+:[0-9]{12}:[^:.]+$", var.async_invocation.on_failure_destination_arn)))
    error_message = "async_invocation.on_failure_destination_arn must be the ARN of a standard SQS queue (Lambda sends no records to FIFO queues) or null."
  }
}

variable "role_path" {
  description = "IAM path of the execution role, e.g. `/hx/`: a bootstrap may let its caller create roles under one path only."
  type        = string
  default     = "/"
  nullable    = false

  validation {
    condition     = can(regex("^/([A-Za-z0-9_+=,.@-]+/)*$", var.role_path)) && length(var.role_path) <= 512
    error_message = "role_path must start and end with / (e.g. /hx/)."
  }
}

variable "permissions_boundary" {
  description = "ARN of a managed policy to set as the execution role's permissions boundary (`null`: none). A bootstrap that lets its caller create roles only with a boundary (condition `iam:PermissionsBoundary`) names it here."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary == null ? true : can(regex("^arn:[^:]+:iam::[0-9]{12}:policy/.+$", var.permissions_boundary))
    error_message = "permissions_boundary must be an IAM policy ARN (arn:<partition>:iam::<account>:policy/<name>) or null."
  }
}

variable "tags" {
  description = "Tags applied to the function, its role, its receipts queue and its log group."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256])
    error_message = "Tag keys must be 1-128 characters and tag values at most 256 characters."
  }
}
