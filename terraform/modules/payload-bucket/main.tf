# The partition (aws, aws-cn, aws-us-gov) of the provider's region: principals' ARNs use it.
data "aws_partition" "current" {}

locals {
  reader_principals = [for id in distinct(var.reader_account_ids) : "arn:${data.aws_partition.current.partition}:iam::${id}:root"]
  writer_principals = [for id in distinct(var.writer_account_ids) : "arn:${data.aws_partition.current.partition}:iam::${id}:root"]

  deny_insecure_transport = [{
    Sid       = "DenyInsecureTransport"
    Effect    = "Deny"
    Principal = "*"
    Action    = "s3:*"
    Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
    Condition = { Bool = { "aws:SecureTransport" = "false" } }
  }]

  reader_get_statements = length(local.reader_principals) == 0 ? [] : [{
    Sid       = "AllowReaderAccountsToGetPayloads"
    Effect    = "Allow"
    Principal = { AWS = local.reader_principals }
    Action    = "s3:GetObject"
    Resource  = "${aws_s3_bucket.this.arn}/*"
  }]

  # Without s3:ListBucket S3 answers a GET of a missing key with 403 AccessDenied, not 404
  # NoSuchKey: readers could not tell a deleted payload from a refused one.
  reader_list_statements = length(local.reader_principals) == 0 ? [] : [{
    Sid       = "AllowReaderAccountsToListPayloads"
    Effect    = "Allow"
    Principal = { AWS = local.reader_principals }
    Action    = "s3:ListBucket"
    Resource  = aws_s3_bucket.this.arn
  }]

  reader_delete_statements = length(local.reader_principals) == 0 || !var.readers_may_delete ? [] : [{
    Sid       = "AllowReaderAccountsToDeletePayloads"
    Effect    = "Allow"
    Principal = { AWS = local.reader_principals }
    Action    = "s3:DeleteObject"
    Resource  = "${aws_s3_bucket.this.arn}/*"
  }]

  # Senders in other accounts that offload payloads here (a central payload bucket). A multipart
  # upload is authorised as s3:PutObject; aborting a failed one needs s3:AbortMultipartUpload.
  writer_put_statements = length(local.writer_principals) == 0 ? [] : [{
    Sid       = "AllowWriterAccountsToPutPayloads"
    Effect    = "Allow"
    Principal = { AWS = local.writer_principals }
    Action    = ["s3:PutObject", "s3:AbortMultipartUpload"]
    Resource  = "${aws_s3_bucket.this.arn}/*"
  }]
}

# Only bucket, force_destroy and tags here: every other bucket setting lives in its own
# resource, which is the only form that works unchanged on provider 3.39 through 6.x.
resource "aws_s3_bucket" "this" {
  bucket        = var.name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = var.object_ownership
  }

  # S3 rejects concurrent configuration changes on one bucket (OperationAborted): one at a time.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      local.deny_insecure_transport,
      local.reader_get_statements,
      local.reader_list_statements,
      local.reader_delete_statements,
      local.writer_put_statements,
    )
  })

  # After the public access block (S3 evaluates a new policy against it; applying both at once
  # races) and after ownership controls (one bucket configuration change at a time).
  depends_on = [
    aws_s3_bucket_public_access_block.this,
    aws_s3_bucket_ownership_controls.this,
  ]
}
