output "role_arn" {
  description = "ARN of the hub role: the nightly workflow's role-to-assume (repository variable AWS_HUB_ROLE_ARN)."
  value       = aws_iam_role.hub.arn
}

output "role_name" {
  description = "Name of the hub role."
  value       = aws_iam_role.hub.name
}

output "oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC provider the role trusts."
  value       = local.oidc_provider_arn
}

output "subjects" {
  description = "The token subjects (sub claims) the role accepts."
  value       = local.subjects
}
