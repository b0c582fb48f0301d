"""KMS key: a customer-managed key, its alias and a least-privilege key policy.

Topics, queues and payload buckets that name it (``kms_key:``) are encrypted with it; other
accounts may use it only as listed (``encrypt``, ``decrypt``); SNS gets what it needs to deliver
into the queues it encrypts, bound by ``aws:SourceArn``. Terraform module: ``terraform/modules/kms``.
"""
