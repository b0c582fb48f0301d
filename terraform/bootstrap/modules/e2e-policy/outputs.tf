output "policy_json" {
  description = "The permission policy of the account's e2e role for SNS, SQS, S3 and KMS (JSON)."
  value       = jsonencode({ Version = "2012-10-17", Statement = local.statements })
}

output "kit_account_ids" {
  description = "The accounts the policy reaches: the role's own first, then the other kit accounts."
  value       = local.accounts
}

output "functions_policy_json" {
  description = "The e2e role's second policy, for the Lambda functions: their execution roles (under role_path, only with the boundary, passed to Lambda only), the functions, mappings, invoke configs and log groups (JSON)."
  value       = jsonencode({ Version = "2012-10-17", Statement = local.function_statements })
}

output "boundary_policy_json" {
  description = "The permissions boundary of every execution role the e2e role creates: what the function module's roles may do at most (JSON)."
  value       = jsonencode({ Version = "2012-10-17", Statement = local.boundary_statements })
}

output "boundary_policy_arn" {
  description = "ARN the boundary policy gets (../account-role creates it under this name): the topology's accounts.<name>.aws.function_boundary."
  value       = local.boundary_arn
}
