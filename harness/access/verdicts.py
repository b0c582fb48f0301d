"""Access verdicts per hop, and their one-line wording (pure functions).

:func:`judge` evaluates each :class:`~harness.access.paths.Hop` against the policies of the
applied resources (:class:`AppliedPolicies`) and returns :class:`HopVerdict` objects whose
``line`` is what a scenario failure or a report row shows, e.g.::

    b-eu: SNS cannot deliver from topic orders: the queue policy has no statement whose
    aws:SourceArn matches arn:aws:sns:us-east-1:111111111111:hx-…-orders

:func:`denial_verdict` is the other direction, for ``expect_denied``: it passes when the access is
refused and fails naming the statement that grants it.

The callers are assumed to hold full access in their own account (the harness's roles are
administrators there); pass ``identity`` policies per account to judge narrower callers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from harness.access.evaluate import Decision, Outcome, Request, evaluate
from harness.access.paths import Hop, HopKind
from harness.access.policy import AccessError, Policy, parse_policy

CALLER_FULL_ACCESS = parse_policy(
    {"Version": "2012-10-17", "Statement": [{"Sid": "HarnessCallerFullAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}]},
    "caller identity policy",
)


@dataclass(frozen=True)
class AppliedPolicies:
    """Resource policies by the ARN of the queue / topic / bucket / function (``Policy(present=False)``
    for a resource without one), optionally the identity policies of each account's callers, and the
    identity policies of the principals the deployment itself creates (a function's execution role,
    by its ARN: judged by those alone, never by the full access assumed for an account's callers)."""

    by_arn: Mapping[str, Policy]
    identity: Mapping[str, Sequence[Policy]] = field(default_factory=dict)
    roles: Mapping[str, Sequence[Policy]] = field(default_factory=dict)

    def resource_policy(self, arn: str) -> Policy:
        try:
            return self.by_arn[arn]
        except KeyError:
            raise AccessError(
                f"no policy was read for {arn}: read the applied resource's policy first "
                "(harness.access.readback) or pass it in AppliedPolicies.by_arn"
            ) from None

    def identity_for(self, account: str | None) -> Sequence[Policy]:
        if account is None:
            return ()
        return self.identity.get(account, (CALLER_FULL_ACCESS,))

    def identities_of(self, request: Request) -> Sequence[Policy]:
        """The identity policies that judge ``request``'s caller: a role of the deployment's by its
        own, anyone else as their account's caller."""
        if request.principal in self.roles:
            return self.roles[request.principal]
        return self.identity_for(request.principal_account)


def _who(hop: Hop) -> str:
    if hop.caller:
        return hop.caller
    return "SNS" if hop.kind is HopKind.DELIVER or hop.request.is_service else f"account {hop.request.principal}"


def hop_action(hop: Hop, may: bool) -> str:
    """The middle of the line: ``SNS cannot deliver from topic orders``, ``account 1… may publish to topic orders``."""
    verb = "may" if may else "cannot"
    phrases = {
        HopKind.PUBLISH: f"publish to topic {hop.resource}",
        HopKind.SEND: f"send to queue {hop.resource}",
        HopKind.DELIVER: f"deliver from topic {hop.via}",
        HopKind.SUBSCRIBE: f"subscribe to topic {hop.resource}",
        HopKind.PUT_PAYLOAD: f"put the payload object into bucket {hop.resource}",
        HopKind.GET_PAYLOAD: f"get the payload from bucket {hop.resource}",
        HopKind.DELETE_PAYLOAD: f"delete the payload from bucket {hop.resource}",
        HopKind.ENCRYPT: f"encrypt {hop.via} with KMS key {hop.resource}",
        HopKind.DECRYPT: f"decrypt {hop.via} with KMS key {hop.resource}",
        HopKind.INVOKE: f"invoke function {hop.resource}" + (f" for topic {hop.via}" if hop.via else ""),
        HopKind.POLL: f"receive from queue {hop.resource} (the function's event source mapping)",
        HopKind.ON_FAILURE: f"send the records of failed invocations to queue {hop.resource} (its on-failure destination)",
    }
    return f"{_who(hop)} {verb} {phrases[hop.kind]}"


def hop_message(hop: Hop, decision: Decision) -> str:
    """One line: the subject, what may or may not happen, and why (reason or deciding statement)."""
    if decision.allowed:
        return f"{hop.subject}: {hop_action(hop, True)} ({decision.statement})"
    return f"{hop.subject}: {hop_action(hop, False)}: {decision.reason}"


@dataclass(frozen=True)
class HopVerdict:
    hop: Hop
    decision: Decision

    @property
    def ok(self) -> bool:
        return self.decision.allowed

    @property
    def line(self) -> str:
        return hop_message(self.hop, self.decision)

    def as_dict(self) -> dict[str, object]:
        """For reports: hop, subject, verdict, deciding statement, reason, the line."""
        st = self.decision.statement
        return {
            "hop": self.hop.kind.value,
            "subject": self.hop.subject,
            "principal": self.hop.request.principal,
            "action": self.hop.request.action,
            "resource": self.hop.request.resource,
            "verdict": self.decision.outcome.value,
            "statement": None if st is None else {"policy": st.policy, "sid": st.sid, "index": st.index},
            "reason": self.decision.reason,
            "line": self.line,
        }


def judge_request(request: Request, policy_arn: str, policies: AppliedPolicies) -> Decision:
    """Evaluate one request against the resource policy of ``policy_arn`` and the caller's identity."""
    identities = () if request.is_service else policies.identities_of(request)
    return evaluate(request, policies.resource_policy(policy_arn), identities)


def judge_hop(hop: Hop, policies: AppliedPolicies) -> HopVerdict:
    return HopVerdict(hop, judge_request(hop.request, hop.policy_arn, policies))


def judge(hops: Sequence[Hop], policies: AppliedPolicies) -> list[HopVerdict]:
    return [judge_hop(h, policies) for h in hops]


def denied(verdicts: Sequence[HopVerdict]) -> list[HopVerdict]:
    return [v for v in verdicts if not v.ok]


@dataclass(frozen=True)
class DenialVerdict:
    """The outcome of one ``expect_denied`` entry judged by the evaluator."""

    hop: Hop
    decision: Decision

    @property
    def ok(self) -> bool:
        return self.decision.outcome is not Outcome.ALLOWED

    @property
    def line(self) -> str:
        if self.ok:
            how = "explicitly" if self.decision.outcome is Outcome.EXPLICIT_DENY else "implicitly"
            return f"{self.hop.subject}: {hop_action(self.hop, False)}, as expected (denied {how}: {self.decision.reason})"
        return f"{self.hop.subject}: expected to be refused, but {hop_action(self.hop, True)}: {self.decision.statement} grants it"


def denial_verdict(hop: Hop, policies: AppliedPolicies) -> DenialVerdict:
    return DenialVerdict(hop, judge_hop(hop, policies).decision)
