variable "hub_role_arn" {
  description = "ARN of the hub role (../hub); the only principal this role trusts."
  type        = string
}

variable "kit_account_ids" {
  description = "Every test account of the topology (this one included or not): the role may publish, send, subscribe and read payloads across them."
  type        = list(string)
  default     = []
}

variable "role_name" {
  description = "Name of the e2e role; the topology's accounts name it in aws.role_arn."
  type        = string
  default     = "e2e-harness"
}

variable "external_id" {
  description = "If set, AssumeRole must pass this external id (the topology's aws.external_id)."
  type        = string
  default     = null
}

variable "name_prefix" {
  description = "Prefix of the kit's physical names."
  type        = string
  default     = "hx-"
}

variable "run_id_tag_key" {
  description = "Tag every topic and queue the kit creates must carry."
  type        = string
  default     = "harness:run-id"
}

variable "max_session_duration" {
  description = "Longest session in seconds (a chained session from the hub is capped at one hour by AWS)."
  type        = number
  default     = 3600
}

variable "tags" {
  description = "Tags for the role."
  type        = map(string)
  default     = {}
}

variable "function_role_path" {
  description = "IAM path of the Lambda execution roles the e2e role may create (the harness's /hx/)."
  type        = string
  default     = "/hx/"
}

variable "function_boundary_name" {
  description = "Name of the managed policy created here as the permissions boundary of those roles."
  type        = string
  default     = "e2e-harness-function-boundary"
}
