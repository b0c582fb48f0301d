output "role_arn" {
  description = "ARN of the e2e role: the topology's aws.role_arn for this account."
  value       = aws_iam_role.e2e.arn
}

output "role_name" {
  description = "Name of the e2e role."
  value       = aws_iam_role.e2e.name
}

output "account_id" {
  description = "The account the role was created in."
  value       = data.aws_caller_identity.current.account_id
}

output "policy_json" {
  description = "The role's permission policy for SNS, SQS, S3 and KMS."
  value       = module.policy.policy_json
}

output "functions_policy_json" {
  description = "The role's permission policy for the kit's Lambda functions and their execution roles."
  value       = module.policy.functions_policy_json
}

output "function_boundary_arn" {
  description = "ARN of the permissions boundary of the function roles: the topology's accounts.<name>.aws.function_boundary."
  value       = aws_iam_policy.function_boundary.arn
}
