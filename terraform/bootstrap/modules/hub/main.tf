# The CI ("hub") account: GitHub's OIDC provider and the role a workflow of one repository, in
# one of the given environments or branches, assumes. The role can do one thing: assume the test
# accounts' e2e roles.
data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  oidc_host = "token.actions.githubusercontent.com"

  subjects = concat(
    [for e in var.github_environments : "repo:${var.github_repository}:environment:${e}"],
    [for b in var.github_branches : "repo:${var.github_repository}:ref:refs/heads/${b}"],
  )

  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : coalesce(
    var.oidc_provider_arn,
    "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/${local.oidc_host}",
  )
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url             = "https://${local.oidc_host}"
  client_id_list  = [var.oidc_audience]
  thumbprint_list = var.oidc_thumbprints
  tags            = var.tags
}

resource "aws_iam_role" "hub" {
  name                 = var.role_name
  description          = "GitHub Actions (${var.github_repository}) assumes this role, then the e2e role of each test account."
  max_session_duration = var.max_session_duration
  tags                 = var.tags

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "GitHubActionsOfOneRepository"
      Effect    = "Allow"
      Principal = { Federated = local.oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.oidc_host}:aud" = var.oidc_audience
          "${local.oidc_host}:sub" = local.subjects
        }
      }
    }]
  })

  lifecycle {
    precondition {
      condition     = length(local.subjects) > 0
      error_message = "Name at least one GitHub environment (github_environments) or branch (github_branches) that may assume the hub role."
    }
  }
}

resource "aws_iam_role_policy" "assume_e2e_roles" {
  name = "assume-e2e-roles"
  role = aws_iam_role.hub.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "AssumeTheTestAccountsE2eRoles"
      Effect   = "Allow"
      Action   = "sts:AssumeRole"
      Resource = var.e2e_role_arns
    }]
  })
}
