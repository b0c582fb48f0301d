"""Access verdicts: may each hop of a messaging path happen under the policies actually applied?

Stage: between :mod:`harness.payload` and :mod:`harness.scenario`. It imports the foundation
(:mod:`harness.errors`), :mod:`harness.topology` and botocore's exceptions; never scenario,
report, run or cli.

Takes: policy documents — queue, topic, bucket and KMS key policies as AWS stores them, read back from the
applied resources (:mod:`~harness.access.readback`) or rendered as the kit's Terraform modules
would write them (each kind's ``rendered_policy``) — plus the callers' identity policies, and a
:class:`Request` (principal, action, resource ARN, request context).

Hands on: a :class:`Decision` — allowed / implicit_deny / explicit_deny, the deciding statement
and a one-line reason — and per scenario path :class:`~harness.access.verdicts.HopVerdict` lines
such as ``b-eu: SNS cannot deliver from topic orders: the queue policy has no statement whose
aws:SourceArn matches arn:aws:sns:…``.

Modules, earliest first:

- :mod:`~harness.access.policy` — documents → typed statements; :class:`AccessError`, :class:`PolicyError`
- :mod:`~harness.access.conditions` — wildcards, policy variables, condition operators
- :mod:`~harness.access.evaluate` — :func:`evaluate` (AWS's evaluation logic for the kit's subset)
- :mod:`~harness.access.kind` — what a kind provides (its ``harness/kinds/<kind>/access.py``): placement, the
  policy its module writes (a reproduction), how it is read back, the accesses it declares
- :mod:`~harness.access.paths` — hops of a path as requests (SNS's opt-in-region principal; KMS key hops)
- :mod:`~harness.access.readback` — policies read from applied resources via boto3 clients
- :mod:`~harness.access.verdicts` — judging hops; hop lines; ``expect_denied`` verdicts
- :mod:`~harness.access.deployment` — logical names → ARNs (manifest or topology); hops by name
- :mod:`~harness.access.static` — item 6: declared access the modules would refuse, as topology-file problems
- :mod:`~harness.access.matrix` — item 5: who may do what, as a table and a report dict

The evaluator is pure Python, checked case by case against ``@cloud-copilot/iam-simulate``
(tests/access/test_oracle.py, a separate Node process used only by the tests).
"""

from harness.access.evaluate import Decision, Outcome, Request, StatementRef, evaluate
from harness.access.policy import AccessError, Policy, PolicyError, parse_policy

__all__ = [
    "AccessError",
    "Decision",
    "Outcome",
    "Policy",
    "PolicyError",
    "Request",
    "StatementRef",
    "evaluate",
    "parse_policy",
]
