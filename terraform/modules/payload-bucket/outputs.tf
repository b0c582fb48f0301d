output "name" {
  description = "Name of the bucket. Waits for the public access block, ownership controls and bucket policy, so whatever uses it sees a fully configured bucket."
  value       = aws_s3_bucket.this.id

  # The bucket is ready for payloads once its access block, ownership and policy are in place.
  depends_on = [
    aws_s3_bucket_public_access_block.this,
    aws_s3_bucket_ownership_controls.this,
    aws_s3_bucket_policy.this,
  ]
}

output "arn" {
  description = "ARN of the bucket. Waits for the public access block, ownership controls and bucket policy, as `name` does."
  value       = aws_s3_bucket.this.arn

  depends_on = [
    aws_s3_bucket_public_access_block.this,
    aws_s3_bucket_ownership_controls.this,
    aws_s3_bucket_policy.this,
  ]
}
