"""Access verdicts: may each hop of a messaging path happen under the policies actually applied?

Stage: between :mod:`harness.payload` and :mod:`harness.scenario` (it imports only the foundation
modules and :mod:`harness.topology`; never scenario, report, run or cli).

Takes: policy documents (queue, topic and bucket policies as AWS stores them — read back from the
applied resources by :mod:`harness.access.readback`, or rendered from the kit's modules by
:mod:`harness.access.modules` — plus the caller's identity policies) and a :class:`Request`
(principal, action, resource ARN, request context).

Hands on: a :class:`Decision` — allowed / implicit_deny / explicit_deny, the deciding statement
and a one-line reason — and, per scenario path, :class:`~harness.access.verdicts.HopVerdict` lines
such as ``b-eu: SNS cannot deliver from topic orders: the queue policy has no statement whose
aws:SourceArn matches arn:aws:sns:…``.

The evaluator is pure Python and checked case by case against ``@cloud-copilot/iam-simulate``
(tests/access/test_oracle.py); nothing here calls AWS except :mod:`harness.access.readback`, which
uses the boto3 clients it is given.
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
