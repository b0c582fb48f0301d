# Bootstrap for the nightly on real AWS: the hub role in the CI account and an e2e role in each of
# the three test accounts the nightly topology names (A, B, C). Apply it once, as an administrator
# of every account. A topology with other accounts: add a provider block and an account-role
# module call per account, and list the account in local.test_accounts.

provider "aws" {
  alias               = "hub"
  region              = var.region
  profile             = var.hub_account.profile
  allowed_account_ids = [var.hub_account.id]

  dynamic "assume_role" {
    for_each = var.hub_account.admin_role_arn == null ? [] : [var.hub_account.admin_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "e2e-harness-bootstrap"
    }
  }
}

provider "aws" {
  alias               = "account_a"
  region              = var.region
  profile             = var.account_a.profile
  allowed_account_ids = [var.account_a.id]

  dynamic "assume_role" {
    for_each = var.account_a.admin_role_arn == null ? [] : [var.account_a.admin_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "e2e-harness-bootstrap"
    }
  }
}

provider "aws" {
  alias               = "account_b"
  region              = var.region
  profile             = var.account_b.profile
  allowed_account_ids = [var.account_b.id]

  dynamic "assume_role" {
    for_each = var.account_b.admin_role_arn == null ? [] : [var.account_b.admin_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "e2e-harness-bootstrap"
    }
  }
}

provider "aws" {
  alias               = "account_c"
  region              = var.region
  profile             = var.account_c.profile
  allowed_account_ids = [var.account_c.id]

  dynamic "assume_role" {
    for_each = var.account_c.admin_role_arn == null ? [] : [var.account_c.admin_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "e2e-harness-bootstrap"
    }
  }
}

data "aws_partition" "hub" {
  provider = aws.hub
}

locals {
  test_accounts = {
    A = var.account_a.id
    B = var.account_b.id
    C = var.account_c.id
  }
  kit_account_ids = values(local.test_accounts)
  # Known before the roles exist, so the hub's policy and the roles' trust do not depend on each
  # other in a cycle.
  e2e_role_arns = {
    for name, id in local.test_accounts : name => "arn:${data.aws_partition.hub.partition}:iam::${id}:role/${var.e2e_role_name}"
  }
}

module "hub" {
  source    = "./modules/hub"
  providers = { aws = aws.hub }

  github_repository    = var.github_repository
  github_environments  = var.github_environments
  github_branches      = var.github_branches
  e2e_role_arns        = values(local.e2e_role_arns)
  role_name            = var.hub_role_name
  create_oidc_provider = var.create_oidc_provider
  tags                 = var.tags
}

module "account_a" {
  source    = "./modules/account-role"
  providers = { aws = aws.account_a }

  hub_role_arn           = module.hub.role_arn
  kit_account_ids        = local.kit_account_ids
  role_name              = var.e2e_role_name
  function_boundary_name = var.function_boundary_name
  tags                   = var.tags
}

module "account_b" {
  source    = "./modules/account-role"
  providers = { aws = aws.account_b }

  hub_role_arn           = module.hub.role_arn
  kit_account_ids        = local.kit_account_ids
  role_name              = var.e2e_role_name
  function_boundary_name = var.function_boundary_name
  tags                   = var.tags
}

module "account_c" {
  source    = "./modules/account-role"
  providers = { aws = aws.account_c }

  hub_role_arn           = module.hub.role_arn
  kit_account_ids        = local.kit_account_ids
  role_name              = var.e2e_role_name
  function_boundary_name = var.function_boundary_name
  tags                   = var.tags
}
