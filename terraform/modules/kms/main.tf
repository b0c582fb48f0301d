# The partition (aws, aws-cn, aws-us-gov) of the provider's region, and the key's own account:
# principals' ARNs use both.
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  root               = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
  encrypt_principals = [for id in distinct(var.encrypt_account_ids) : "arn:${data.aws_partition.current.partition}:iam::${id}:root"]
  decrypt_principals = [for id in distinct(var.decrypt_account_ids) : "arn:${data.aws_partition.current.partition}:iam::${id}:root"]

  # The key's own account administers it (and, through IAM, uses it). Without this statement
  # nobody could ever change or delete the key: KMS consults IAM only where the key policy says so.
  admin_statements = [{
    Sid       = "EnableOwnAccountAdministration"
    Effect    = "Allow"
    Principal = { AWS = local.root }
    Action    = "kms:*"
    Resource  = "*"
  }]

  encrypt_statements = length(local.encrypt_principals) == 0 ? [] : [{
    Sid       = "AllowAccountsToEncrypt"
    Effect    = "Allow"
    Principal = { AWS = local.encrypt_principals }
    Action    = ["kms:GenerateDataKey", "kms:Encrypt"]
    Resource  = "*"
  }]

  decrypt_statements = length(local.decrypt_principals) == 0 ? [] : [{
    Sid       = "AllowAccountsToDecrypt"
    Effect    = "Allow"
    Principal = { AWS = local.decrypt_principals }
    Action    = "kms:Decrypt"
    Resource  = "*"
  }]

  # SNS delivering into a queue this key encrypts asks KMS for a data key as the service itself;
  # only deliveries from the listed topics may.
  sns_statements = length(var.sns_source_topic_arns) == 0 ? [] : [{
    Sid       = "AllowSnsToEncryptForSubscribedQueues"
    Effect    = "Allow"
    Principal = { Service = "sns.amazonaws.com" }
    Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
    Resource  = "*"
    Condition = { ArnEquals = { "aws:SourceArn" = distinct(var.sns_source_topic_arns) } }
  }]
}

resource "aws_kms_key" "this" {
  description             = var.label
  deletion_window_in_days = var.deletion_window_in_days
  enable_key_rotation     = var.enable_key_rotation
  tags                    = var.tags
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(local.admin_statements, local.encrypt_statements, local.decrypt_statements, local.sns_statements)
  })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.alias}"
  target_key_id = aws_kms_key.this.key_id
}
