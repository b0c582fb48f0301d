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
  description = "The role's permission policy."
  value       = module.policy.policy_json
}
