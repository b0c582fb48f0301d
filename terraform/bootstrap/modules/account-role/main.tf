# One test account: the e2e role the harness assumes from the hub role, with the least-privilege
# policy of ../e2e-policy as its only (inline) policy.
data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

module "policy" {
  source = "../e2e-policy"

  partition       = data.aws_partition.current.partition
  account_id      = data.aws_caller_identity.current.account_id
  kit_account_ids = var.kit_account_ids
  name_prefix     = var.name_prefix
  run_id_tag_key  = var.run_id_tag_key
}

resource "aws_iam_role" "e2e" {
  name                 = var.role_name
  description          = "The e2e harness's way into this account: SNS/SQS/S3 on ${var.name_prefix}* resources only."
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
