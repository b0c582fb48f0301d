variable "github_repository" {
  description = "The repository whose workflows may run the nightly, as owner/name."
  type        = string
}

variable "github_environments" {
  description = "GitHub environments allowed to assume the hub role (the nightly workflow uses nightly-aws)."
  type        = list(string)
  default     = ["nightly-aws"]
}

variable "github_branches" {
  description = "Branches allowed to assume the hub role from jobs without an environment (none by default)."
  type        = list(string)
  default     = []
}

variable "region" {
  description = "Region of the providers (IAM is global; this only picks the STS and API endpoints)."
  type        = string
  default     = "us-east-1"
}

variable "hub_account" {
  description = "The CI account: its id, and how to reach it with administrator rights (a profile and/or a role to assume; both null = the default credential chain)."
  type = object({
    id             = string
    profile        = optional(string)
    admin_role_arn = optional(string)
  })
}

variable "account_a" {
  description = "Test account A of the topology (publisher): id and how to reach it with administrator rights."
  type = object({
    id             = string
    profile        = optional(string)
    admin_role_arn = optional(string)
  })
}

variable "account_b" {
  description = "Test account B of the topology (consumer): id and how to reach it with administrator rights."
  type = object({
    id             = string
    profile        = optional(string)
    admin_role_arn = optional(string)
  })
}

variable "account_c" {
  description = "Test account C of the topology (consumer): id and how to reach it with administrator rights."
  type = object({
    id             = string
    profile        = optional(string)
    admin_role_arn = optional(string)
  })
}

variable "create_oidc_provider" {
  description = "Create GitHub's OIDC provider in the hub account (false when the account has it already)."
  type        = bool
  default     = true
}

variable "hub_role_name" {
  description = "Name of the hub role."
  type        = string
  default     = "e2e-harness-hub"
}

variable "e2e_role_name" {
  description = "Name of the role in each test account (the topology's role_arn ends in role/<this>)."
  type        = string
  default     = "e2e-harness"
}

variable "function_boundary_name" {
  description = "Name of the permissions-boundary policy created in each test account for the kit's Lambda execution roles (the topology's aws.function_boundary ends in policy/<this>)."
  type        = string
  default     = "e2e-harness-function-boundary"
}

variable "tags" {
  description = "Tags for every role and the OIDC provider."
  type        = map(string)
  default     = { "managed-by" = "e2e-harness-bootstrap" }
}
