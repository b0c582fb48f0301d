output "hub_role_arn" {
  description = "The nightly workflow's role-to-assume: set it as the repository variable AWS_HUB_ROLE_ARN."
  value       = module.hub.role_arn
}

output "oidc_provider_arn" {
  description = "GitHub's OIDC provider in the hub account."
  value       = module.hub.oidc_provider_arn
}

output "e2e_role_arns" {
  description = "Role ARN per topology account name: the aws.role_arn of each account in scenarios/aws/nightly.topology.yaml."
  value = {
    A = module.account_a.role_arn
    B = module.account_b.role_arn
    C = module.account_c.role_arn
  }
}

output "function_boundaries" {
  description = "Permissions boundary per topology account name, which every Lambda execution role the harness creates there carries: the aws.function_boundary of each account in scenarios/aws/nightly.topology.yaml."
  value = {
    A = module.account_a.function_boundary_arn
    B = module.account_b.function_boundary_arn
    C = module.account_c.function_boundary_arn
  }
}

output "topology_accounts" {
  description = "The accounts block for the nightly topology file, as data (write it as YAML)."
  value = {
    A = { id = module.account_a.account_id, aws = { role_arn = module.account_a.role_arn, function_boundary = module.account_a.function_boundary_arn } }
    B = { id = module.account_b.account_id, aws = { role_arn = module.account_b.role_arn, function_boundary = module.account_b.function_boundary_arn } }
    C = { id = module.account_c.account_id, aws = { role_arn = module.account_c.role_arn, function_boundary = module.account_c.function_boundary_arn } }
  }
}
