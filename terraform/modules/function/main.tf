# The partition, account and region of the provider: the function, its role and its logs live there.
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  partition = data.aws_partition.current.partition
  log_group = "/aws/lambda/${var.name}"

  # What the handler is told (merged over the caller's variables): where its receipts go.
  environment = merge(var.environment, {
    HARNESS_RECEIPTS_URL = aws_sqs_queue.receipts.id
  })

  # The execution role's policy, least privilege: each statement only when its list is non-empty.
  log_statements = [{
    Sid      = "WriteOwnLogs"
    Effect   = "Allow"
    Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    Resource = "arn:${local.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${local.log_group}:*"
  }]
  receipt_statements = [{
    Sid      = "SendReceipts"
    Effect   = "Allow"
    Action   = "sqs:SendMessage"
    Resource = aws_sqs_queue.receipts.arn
  }]
  poll_statements = var.event_source == null ? [] : [{
    Sid      = "PollOwnQueue"
    Effect   = "Allow"
    Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    Resource = var.event_source.queue_arn
  }]
  # s3:ListBucket lets a read of a deleted payload answer 404 (NoSuchKey) instead of 403.
  read_statements = length(var.payload_bucket_arns) == 0 ? [] : [
    {
      Sid      = "ReadPayloads"
      Effect   = "Allow"
      Action   = "s3:GetObject"
      Resource = [for arn in distinct(var.payload_bucket_arns) : "${arn}/*"]
    },
    {
      Sid      = "ListPayloadBuckets"
      Effect   = "Allow"
      Action   = "s3:ListBucket"
      Resource = [for arn in distinct(var.payload_bucket_arns) : arn]
    },
  ]
  delete_statements = length(var.delete_payload_bucket_arns) == 0 ? [] : [{
    Sid      = "DeletePayloadsOnAck"
    Effect   = "Allow"
    Action   = "s3:DeleteObject"
    Resource = [for arn in distinct(var.delete_payload_bucket_arns) : "${arn}/*"]
  }]
  decrypt_statements = length(var.kms_key_arns) == 0 ? [] : [{
    Sid      = "DecryptWithKeys"
    Effect   = "Allow"
    Action   = "kms:Decrypt"
    Resource = distinct(var.kms_key_arns)
  }]
  # Lambda sends the record of an asynchronous invocation that failed for good as the function's
  # role: SendMessage on that one queue, and its key's data keys when the queue is encrypted.
  on_failure_arn     = try(var.async_invocation.on_failure_destination_arn, null)
  on_failure_key_arn = try(var.async_invocation.on_failure_kms_key_arn, null)
  failure_statements = local.on_failure_arn == null ? [] : concat(
    [{
      Sid      = "SendFailureRecords"
      Effect   = "Allow"
      Action   = "sqs:SendMessage"
      Resource = local.on_failure_arn
    }],
    local.on_failure_key_arn == null ? [] : [{
      Sid      = "EncryptFailureRecords"
      Effect   = "Allow"
      Action   = ["kms:GenerateDataKey", "kms:Decrypt"]
      Resource = local.on_failure_key_arn
    }],
  )
}

# Where the handler writes one receipt per message it handled; the harness reads them.
resource "aws_sqs_queue" "receipts" {
  name                      = var.receipts_queue_name
  message_retention_seconds = 3600
  tags                      = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group
  retention_in_days = 1
  tags              = var.tags
}

resource "aws_iam_role" "this" {
  name                 = var.name
  path                 = var.role_path
  permissions_boundary = var.permissions_boundary
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "LambdaAssumesRole"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name = "least-privilege"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      local.log_statements,
      local.receipt_statements,
      local.poll_statements,
      local.read_statements,
      local.delete_statements,
      local.decrypt_statements,
      local.failure_statements,
    )
  })
}

resource "aws_lambda_function" "this" {
  function_name    = var.name
  role             = aws_iam_role.this.arn
  filename         = var.package_file
  source_code_hash = var.package_sha256
  handler          = var.handler
  runtime          = var.runtime
  memory_size      = var.memory_size
  timeout          = var.timeout
  tags             = var.tags

  environment {
    variables = local.environment
  }

  lifecycle {
    # A scenario sets the handler's behaviour (HARNESS_BEHAVIOUR) between its sends; a later plan
    # must not take it away again. The runtime: provider 3.39 can only create python3.8 (the caller
    # moves it to a current one after apply, see README), which a later plan must not undo.
    ignore_changes = [runtime, environment[0].variables["HARNESS_BEHAVIOUR"]]
  }

  # The role's grants and the log group exist before the first invocation.
  depends_on = [aws_iam_role_policy.this, aws_cloudwatch_log_group.this]
}

# SNS may invoke the function for exactly these topics (confused deputy: aws:SourceArn).
resource "aws_lambda_permission" "sns" {
  count = length(var.source_topic_arns)

  statement_id  = "AllowSnsTopic${count.index}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "sns.amazonaws.com"
  source_arn    = var.source_topic_arns[count.index]
}

# The function polls its queue. ReportBatchItemFailures (partial batch responses) is set by the
# caller after apply: provider 3.39 has no function_response_types (output
# pending_function_response_types).
resource "aws_lambda_event_source_mapping" "this" {
  count = var.event_source == null ? 0 : 1

  event_source_arn                   = var.event_source.queue_arn
  function_name                      = aws_lambda_function.this.arn
  batch_size                         = var.event_source.batch_size
  maximum_batching_window_in_seconds = var.event_source.maximum_batching_window_in_seconds
  enabled                            = true

  depends_on = [aws_iam_role_policy.this]
}

# SNS invokes the function asynchronously: how often Lambda retries a failed invocation, how old an
# event may get, and where the record of one that failed for good goes. Lambda checks that the
# role may send there when this is created, so it waits for the role's policy.
resource "aws_lambda_function_event_invoke_config" "this" {
  count = var.async_invocation == null ? 0 : 1

  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.async_invocation.maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_invocation.maximum_event_age_in_seconds

  dynamic "destination_config" {
    for_each = local.on_failure_arn == null ? [] : [local.on_failure_arn]
    content {
      on_failure {
        destination = destination_config.value
      }
    }
  }

  depends_on = [aws_iam_role_policy.this]
}
