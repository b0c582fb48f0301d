"""SNS topic: standard or FIFO, optionally encrypted with a key of the topology, with a policy that
lets the accounts whose queues subscribe ``sns:Subscribe`` and the listed ``publishers``
``sns:Publish``. Terraform module: ``terraform/modules/topic``.
"""
