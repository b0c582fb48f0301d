# One test account: the e2e role the harness assumes from the hub role, with the least-privilege
# policies of ../e2e-policy as its only (inline) policies, and the permissions boundary every
# execution role it creates for the kit's Lambda functions must carry.
data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

module "policy" {
  source = "../e2e-policy"

  partition       = data.aws_partition.current.partition
  account_id      = data.aws_caller_identity.current.account_id
  kit_account_ids = var.kit_account_ids
  name_prefix     = var.name_prefix
  run_id_tag_key  = var.run_id_tag_key

  role_path            = var.function_role_path
  boundary_policy_name = var.function_boundary_name
}

# The ceiling of every function role the e2e role creates: it may create roles only with this
# boundary (and cannot change it: no iam:*Policy* write on managed policies is granted).
resource "aws_iam_policy" "function_boundary" {
  name        = var.function_boundary_name
  description = "Permissions boundary of the e2e harness's Lambda execution roles (${var.function_role_path}${var.name_prefix}*)."
  policy      = module.policy.boundary_policy_json
}

resource "aws_iam_role" "e2e" {
  name                 = var.role_name
  description          = "The e2e harness's way into this account: SNS/SQS/S3/KMS and Lambda on ${var.name_prefix}* resources only."
  max_session_duration = var.max_session_duration
  tags                 = var.tags

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [merge(
      {
        Sid       = "OnlyTheHubRole"
        Effect    = "Allow"
        Principal = { AWS = var.hub_role_arn }
        Action    = "sts:AssumeRole"
      },
      var.external_id == null ? {} : { Condition = { StringEquals = { "sts:ExternalId" = var.external_id } } },
    )]
  })
}

resource "aws_iam_role_policy" "e2e" {
  name   = "e2e-harness-sns-sqs-s3"
  role   = aws_iam_role.e2e.id
  policy = module.policy.policy_json
}

# A policy of its own (role policies share one size limit; each is readable on its own).
resource "aws_iam_role_policy" "functions" {
  name   = "e2e-harness-lambda"
  role   = aws_iam_role.e2e.id
  policy = module.policy.functions_policy_json

  # The boundary the policy names exists before the role may create roles with it.
  depends_on = [aws_iam_policy.function_boundary]
}
