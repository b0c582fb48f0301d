# Least privilege for the harness and the Terraform modules it applies (terraform/modules/*), as
# observed against provider 3.39 (TF_LOG) and read from harness/payload, harness/sweep.py and
# harness/render.py:
# - only resources named <name_prefix>*: topics and queues in the kit's accounts, buckets whose
#   names end in a kit account id (the harness names them hx-<run>-<logical>-<account-id>);
# - topics and queues are created (and tagged) only carrying the run-id tag;
# - writes never on "*" except kms:CreateKey (KMS offers no other resource for it), allowed only with
#   the run-id tag in the request; KMS keys are used and managed only while they carry that tag,
#   aliases only under alias/<name_prefix>*; the other "*" resources are the list calls the sweep needs;
# - no IAM action in this policy; the Lambda functions' own roles are functions_policy_json's (below).
locals {
  accounts = distinct(concat([var.account_id], var.kit_account_ids))
  p        = var.partition
  prefix   = var.name_prefix

  own_topics  = "arn:${local.p}:sns:*:${var.account_id}:${local.prefix}*"
  own_queues  = "arn:${local.p}:sqs:*:${var.account_id}:${local.prefix}*"
  own_buckets = "arn:${local.p}:s3:::${local.prefix}*-${var.account_id}"
  kit_topics  = [for a in local.accounts : "arn:${local.p}:sns:*:${a}:${local.prefix}*"]
  kit_queues  = [for a in local.accounts : "arn:${local.p}:sqs:*:${a}:${local.prefix}*"]
  kit_objects = [for a in local.accounts : "arn:${local.p}:s3:::${local.prefix}*-${a}/*"]
  own_keys    = "arn:${local.p}:kms:*:${var.account_id}:key/*"
  own_aliases = "arn:${local.p}:kms:*:${var.account_id}:alias/${local.prefix}*"
  kit_keys    = [for a in local.accounts : "arn:${local.p}:kms:*:${a}:key/*"]

  # Lambda functions (terraform/modules/function): their execution roles live under role_path,
  # named <name_prefix>*, and carry the account's permissions boundary.
  own_functions      = "arn:${local.p}:lambda:*:${var.account_id}:function:${local.prefix}*"
  kit_functions      = [for a in local.accounts : "arn:${local.p}:lambda:*:${a}:function:${local.prefix}*"]
  own_mappings       = "arn:${local.p}:lambda:*:${var.account_id}:event-source-mapping:*"
  own_function_roles = "arn:${local.p}:iam::${var.account_id}:role${var.role_path}${local.prefix}*"
  own_log_groups     = ["arn:${local.p}:logs:*:${var.account_id}:log-group:/aws/lambda/${local.prefix}*", "arn:${local.p}:logs:*:${var.account_id}:log-group:/aws/lambda/${local.prefix}*:*"]
  boundary_arn       = "arn:${local.p}:iam::${var.account_id}:policy/${var.boundary_policy_name}"
  kit_buckets        = [for a in local.accounts : "arn:${local.p}:s3:::${local.prefix}*-${a}"]

  tagged_request  = { Null = { "aws:RequestTag/${var.run_id_tag_key}" = "false" } }
  tagged_resource = { Null = { "aws:ResourceTag/${var.run_id_tag_key}" = "false" } }

  statements = [
    {
      Sid      = "CreateTopicsOnlyWithTheRunTag"
      Effect   = "Allow"
      Action   = ["sns:CreateTopic", "sns:TagResource"]
      Resource = local.own_topics
      # provider 3.39 and later pass the tags in CreateTopic itself
      Condition = local.tagged_request
    },
    {
      Sid    = "ManageOwnTopics"
      Effect = "Allow"
      Action = [
        "sns:DeleteTopic",
        "sns:GetTopicAttributes",
        "sns:SetTopicAttributes",
        "sns:ListTagsForResource",
        "sns:UntagResource",
        "sns:ListSubscriptionsByTopic",
      ]
      Resource = local.own_topics
    },
    {
      # Topic and subscription ARNs (<topic-arn>:<id>) of the kit's accounts; the topic's own
      # policy (terraform/modules/topic) must grant the other account as well.
      Sid    = "PublishAndSubscribeAcrossTheKit"
      Effect = "Allow"
      Action = [
        "sns:Publish",
        "sns:Subscribe",
        "sns:Unsubscribe",
        "sns:GetSubscriptionAttributes",
        "sns:SetSubscriptionAttributes",
      ]
      Resource = local.kit_topics
    },
    {
      Sid       = "CreateQueuesOnlyWithTheRunTag"
      Effect    = "Allow"
      Action    = ["sqs:CreateQueue", "sqs:TagQueue"]
      Resource  = local.own_queues
      Condition = local.tagged_request
    },
    {
      Sid    = "ManageAndConsumeOwnQueues"
      Effect = "Allow"
      Action = [
        "sqs:DeleteQueue",
        "sqs:SetQueueAttributes",
        "sqs:ListQueueTags",
        "sqs:UntagQueue",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
      ]
      Resource = local.own_queues
    },
    {
      Sid      = "SendAcrossTheKit"
      Effect   = "Allow"
      Action   = ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
      Resource = local.kit_queues
    },
    {
      # Everything provider 3.39 reads and writes on aws_s3_bucket and the bucket resources of
      # terraform/modules/payload-bucket, plus the sweep's listing and deletion.
      Sid    = "ManageOwnPayloadBuckets"
      Effect = "Allow"
      Action = [
        "s3:CreateBucket",
        "s3:DeleteBucket",
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:ListBucketMultipartUploads",
        "s3:GetBucketLocation",
        "s3:GetBucketTagging",
        "s3:PutBucketTagging",
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:GetBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
        "s3:GetBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
        "s3:GetBucketAcl",
        "s3:PutBucketAcl", # 3.39 creates buckets with the canned ACL "private"
        "s3:GetBucketCORS",
        "s3:GetBucketWebsite",
        "s3:GetBucketVersioning",
        "s3:GetAccelerateConfiguration",
        "s3:GetBucketRequestPayment",
        "s3:GetBucketLogging",
        "s3:GetLifecycleConfiguration",
        "s3:GetReplicationConfiguration",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketObjectLockConfiguration",
      ]
      Resource = local.own_buckets
    },
    {
      # Payload objects: written by the producer's account, read (and deleted on ack) by consumer
      # accounts; the bucket policy (terraform/modules/payload-bucket) must grant them as well.
      Sid    = "PayloadObjectsAcrossTheKit"
      Effect = "Allow"
      Action = [
        "s3:PutObject",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
      ]
      Resource = local.kit_objects
    },
    {
      # terraform/modules/kms: CreateKey has no resource to scope to; the request must carry the tag.
      Sid       = "CreateKeysOnlyWithTheRunTag"
      Effect    = "Allow"
      Action    = ["kms:CreateKey", "kms:TagResource"]
      Resource  = "*"
      Condition = local.tagged_request
    },
    {
      Sid    = "ManageOwnTaggedKeys"
      Effect = "Allow"
      Action = [
        "kms:DescribeKey",
        "kms:GetKeyPolicy",
        "kms:PutKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:EnableKeyRotation",
        "kms:DisableKeyRotation",
        "kms:ListResourceTags",
        "kms:UntagResource",
        "kms:UpdateKeyDescription",
        "kms:ScheduleKeyDeletion",
        "kms:CreateAlias",
        "kms:DeleteAlias",
      ]
      Resource  = local.own_keys
      Condition = local.tagged_resource
    },
    {
      # An alias operation is authorised on the alias and on its key (the statement above).
      Sid      = "ManageOwnAliases"
      Effect   = "Allow"
      Action   = ["kms:CreateAlias", "kms:DeleteAlias"]
      Resource = local.own_aliases
    },
    {
      # SSE-KMS payloads and encrypted queues/topics: the key policy (terraform/modules/kms) must
      # grant the other account as well.
      Sid       = "UseTaggedKeysAcrossTheKit"
      Effect    = "Allow"
      Action    = ["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"]
      Resource  = local.kit_keys
      Condition = local.tagged_resource
    },
    {
      # Read-only listing for `harness sweep`; these actions support no resource-level scoping.
      Sid      = "ListForTheSweep"
      Effect   = "Allow"
      Action   = ["sns:ListTopics", "sqs:ListQueues", "s3:ListAllMyBuckets", "tag:GetResources", "kms:ListAliases", "kms:ListKeys"]
      Resource = "*"
    },
  ]
}

locals {
  # What the e2e role needs for the kit's Lambda functions: create and delete their execution roles
  # (only under role_path, only with the account's boundary, passed to Lambda only), the functions,
  # their mappings, invoke configs and log groups — nothing else of IAM, and no managed policy.
  function_statements = [
    {
      # iam:PermissionsBoundary is the boundary of the role being created or changed: a role
      # without the bootstrap's boundary can neither be created nor given an inline policy.
      Sid       = "FunctionRolesOnlyWithTheBoundary"
      Effect    = "Allow"
      Action    = ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy"]
      Resource  = local.own_function_roles
      Condition = { StringEquals = { "iam:PermissionsBoundary" = local.boundary_arn } }
    },
    {
      # Actions without the iam:PermissionsBoundary key, on the same roles only.
      Sid    = "ReadTagAndDeleteFunctionRoles"
      Effect = "Allow"
      Action = [
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListRolePolicies",
        "iam:ListAttachedRolePolicies",
        "iam:ListInstanceProfilesForRole",
        "iam:ListRoleTags",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:DeleteRole",
      ]
      Resource = local.own_function_roles
    },
    {
      Sid       = "PassFunctionRolesToLambdaOnly"
      Effect    = "Allow"
      Action    = "iam:PassRole"
      Resource  = local.own_function_roles
      Condition = { StringEquals = { "iam:PassedToService" = "lambda.amazonaws.com" } }
    },
    {
      # The function module's calls (provider 3.39 to 6.x: the reads of a function, its policy, its
      # code-signing and concurrency settings) and the harness's (runtime and behaviour updates, a
      # warm-up Invoke, the access step's GetPolicy, the sweep's deletes).
      Sid    = "ManageOwnFunctions"
      Effect = "Allow"
      Action = [
        "lambda:CreateFunction",
        "lambda:DeleteFunction",
        "lambda:UpdateFunctionCode",
        "lambda:UpdateFunctionConfiguration",
        "lambda:Get*",
        "lambda:ListVersionsByFunction",
        "lambda:ListTags",
        "lambda:TagResource",
        "lambda:UntagResource",
        "lambda:AddPermission",
        "lambda:RemovePermission",
        "lambda:PutFunctionEventInvokeConfig",
        "lambda:UpdateFunctionEventInvokeConfig",
        "lambda:DeleteFunctionEventInvokeConfig",
      ]
      Resource = local.own_functions
    },
    {
      # Event source mappings are authorised on the mapping (or *) with the function they feed.
      Sid       = "MappingsOfOwnFunctions"
      Effect    = "Allow"
      Action    = ["lambda:CreateEventSourceMapping", "lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"]
      Resource  = "*"
      Condition = { ArnLike = { "lambda:FunctionArn" = local.own_functions } }
    },
    {
      Sid      = "TagsOfOwnMappings"
      Effect   = "Allow"
      Action   = ["lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"]
      Resource = local.own_mappings
    },
    {
      # expect_denied's real calls: an account invokes a kit function of another (DryRun); the
      # function's resource policy has to refuse it, not this policy.
      Sid      = "InvokeAcrossTheKit"
      Effect   = "Allow"
      Action   = "lambda:InvokeFunction"
      Resource = local.kit_functions
    },
    {
      Sid    = "OwnFunctionLogGroups"
      Effect = "Allow"
      Action = [
        "logs:CreateLogGroup",
        "logs:DeleteLogGroup",
        "logs:PutRetentionPolicy",
        "logs:DeleteRetentionPolicy",
        "logs:TagLogGroup",
        "logs:UntagLogGroup",
        "logs:ListTagsLogGroup",
        "logs:TagResource",
        "logs:UntagResource",
        "logs:ListTagsForResource",
      ]
      Resource = local.own_log_groups
    },
    {
      # Read-only listing (the provider's log group reads, the sweep's function and mapping lists).
      Sid      = "ListFunctionsAndLogGroups"
      Effect   = "Allow"
      Action   = ["lambda:ListFunctions", "lambda:ListEventSourceMappings", "logs:DescribeLogGroups"]
      Resource = "*"
    },
  ]

  # The most an execution role created by the e2e role may ever do, whatever its own policy says:
  # the terraform/modules/function grants, on the kit's names in the kit's accounts.
  boundary_statements = [
    {
      Sid      = "OwnFunctionLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "arn:${local.p}:logs:*:${var.account_id}:log-group:/aws/lambda/${local.prefix}*:*"
    },
    {
      Sid      = "KitQueues"
      Effect   = "Allow"
      Action   = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
      Resource = local.kit_queues
    },
    {
      Sid      = "KitPayloadObjects"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:DeleteObject"]
      Resource = local.kit_objects
    },
    {
      Sid      = "KitPayloadBuckets"
      Effect   = "Allow"
      Action   = "s3:ListBucket"
      Resource = local.kit_buckets
    },
    {
      Sid       = "KitTaggedKeys"
      Effect    = "Allow"
      Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource  = local.kit_keys
      Condition = local.tagged_resource
    },
  ]
}
