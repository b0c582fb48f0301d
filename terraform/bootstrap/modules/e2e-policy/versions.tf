# Pure: no provider, no resources. The policy documents are computed from the inputs only, so a
# test can render them offline.
terraform {
  required_version = ">= 1.3"
}
