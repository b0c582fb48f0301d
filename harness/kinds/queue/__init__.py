"""SQS queue: standard or FIFO, optional dead-letter redrive, optionally encrypted with a key of the
topology, with a policy that admits the topics that feed it (``aws:SourceArn``) and the listed
``producers``. Terraform module: ``terraform/modules/queue``.
"""
