"""S3 payload bucket: where offloaded payloads live (bucket, ownership controls, public-access block,
a policy for reader and writer accounts and TLS). ``down`` always empties it. Terraform module:
``terraform/modules/payload-bucket``.
"""
