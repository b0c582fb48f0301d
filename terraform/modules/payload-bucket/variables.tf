variable "name" {
  description = "Bucket name per S3's rules: 3-63 characters of lowercase letters, digits, hyphens and dots, starting and ending with a letter or digit; no `..`, no dot next to a hyphen, not an IP address, none of S3's reserved prefixes and suffixes."
  type        = string

  validation {
    condition     = length(var.name) >= 3 && length(var.name) <= 63 && can(regex("^[a-z0-9][a-z0-9.-]*[a-z0-9]$", var.name))
    error_message = "The bucket name must be 3-63 characters of lowercase letters, digits, hyphens and dots, and start and end with a letter or digit."
  }

  validation {
    condition     = !can(regex("\\.\\.|\\.-|-\\.", var.name))
    error_message = "The bucket name must not contain two adjacent dots, or a dot next to a hyphen."
  }

  validation {
    condition     = !can(regex("^[0-9]+(\\.[0-9]+){3}$", var.name))
    error_message = "The bucket name must not be formatted as an IP address."
  }

  validation {
    condition     = !can(regex("^(xn--|sthree-|amzn-s3-demo-)|(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$", var.name))
    error_message = "The bucket name must not start with \"xn--\", \"sthree-\" or \"amzn-s3-demo-\", nor end with \"-s3alias\", \"--ol-s3\", \".mrap\", \"--x-s3\" or \"--table-s3\": S3 reserves those."
  }
}

variable "reader_account_ids" {
  description = "12-digit account ids granted `s3:GetObject` on the payload objects and `s3:ListBucket` on the bucket (and `s3:DeleteObject` with `readers_may_delete`). Leave empty for none."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.reader_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "Every reader account id must be exactly 12 digits, as a string (e.g. \"123456789012\")."
  }
}

variable "writer_account_ids" {
  description = "12-digit account ids other than the owner granted `s3:PutObject` and `s3:AbortMultipartUpload` on the payload objects: senders that offload into a bucket they do not own. Leave empty for none."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.writer_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "Every writer account id must be exactly 12 digits, as a string (e.g. \"123456789012\")."
  }
}

variable "readers_may_delete" {
  description = "Also grant the reader accounts `s3:DeleteObject`, so consumers can remove a payload once they have processed its message."
  type        = bool
  default     = false
  nullable    = false
}

variable "object_ownership" {
  description = "S3 Object Ownership: `BucketOwnerEnforced` (ACLs disabled; use it with provider >= 4) or `BucketOwnerPreferred` (what the harness passes with provider 3.x, whose validation predates `BucketOwnerEnforced`; see the provider-version caveats)."
  type        = string
  default     = "BucketOwnerEnforced"
  nullable    = false

  validation {
    condition     = contains(["BucketOwnerEnforced", "BucketOwnerPreferred"], var.object_ownership)
    error_message = "object_ownership must be \"BucketOwnerEnforced\" or \"BucketOwnerPreferred\" (use BucketOwnerPreferred with hashicorp/aws 3.x)."
  }
}

variable "force_destroy" {
  description = "Let Terraform delete the bucket even when it still holds objects. The harness sets `true`: payloads are test data."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags applied to the bucket."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256])
    error_message = "Tag keys must be 1-128 characters and tag values at most 256 characters."
  }
}
