variable "github_repository" {
  description = "The only repository whose workflows may assume the hub role, as owner/name (e.g. example-org/messaging-e2e)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "The github_repository must be owner/name, without a URL or wildcards."
  }
}

variable "github_environments" {
  description = "GitHub environments whose jobs may assume the hub role (token subject repo:<repo>:environment:<name>). The nightly workflow runs in nightly-aws."
  type        = list(string)
  default     = ["nightly-aws"]
}

variable "github_branches" {
  description = "Branches whose jobs without an environment may assume the hub role (subject repo:<repo>:ref:refs/heads/<branch>). Empty by default: only the environments above."
  type        = list(string)
  default     = []
}

variable "e2e_role_arns" {
  description = "ARNs of the test accounts' e2e roles the hub role may assume (role chaining); nothing else is granted."
  type        = list(string)
}

variable "role_name" {
  description = "Name of the hub role."
  type        = string
  default     = "e2e-harness-hub"
}

variable "create_oidc_provider" {
  description = "Create the GitHub Actions OIDC provider. An account holds one provider per URL: set false when it exists already."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "ARN of an existing GitHub Actions OIDC provider (with create_oidc_provider = false); null builds the usual ARN in this account and partition."
  type        = string
  default     = null
}

variable "oidc_audience" {
  description = "Audience of the GitHub token (configure-aws-credentials' `audience`): sts.amazonaws.com, or the partition's own STS audience outside the aws partition."
  type        = string
  default     = "sts.amazonaws.com"
}

variable "oidc_thumbprints" {
  description = "Certificate thumbprints of token.actions.githubusercontent.com. AWS no longer checks them for GitHub, but provider 3.x-5.x require the argument."
  type        = list(string)
  default     = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
}

variable "max_session_duration" {
  description = "Longest hub session in seconds. The sessions it chains into the e2e roles are capped at one hour by AWS whatever this says."
  type        = number
  default     = 3600
}

variable "tags" {
  description = "Tags for the role and the OIDC provider."
  type        = map(string)
  default     = {}
}
