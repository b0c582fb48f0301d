output "policy_json" {
  description = "The permission policy of the account's e2e role (JSON)."
  value       = jsonencode({ Version = "2012-10-17", Statement = local.statements })
}

output "kit_account_ids" {
  description = "The accounts the policy reaches: the role's own first, then the other kit accounts."
  value       = local.accounts
}
