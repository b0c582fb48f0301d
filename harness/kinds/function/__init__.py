"""Lambda function: a consumer where the architecture puts it. It runs the kit's own handler
(:mod:`harness.payload.lambda_handler`, the payload library bundled into a deployment package the
harness builds), is invoked by SNS (``subscriptions: - {topic: orders, function: c-fn}``) or polls a
queue of its own account and region (an event source mapping, ``queue:``), verifies every message
as the harness's consumer does and writes a receipt per message to its receipts queue, which the
harness watches. Its execution role is generated per function, least privilege. Terraform module:
``terraform/modules/function``.
"""
