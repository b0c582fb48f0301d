"""The decision: may this principal perform this action on this resource, given these policies?

:func:`evaluate` follows AWS's policy evaluation logic for what the kit uses (no SCPs, RCPs,
permission boundaries or session policies):

1. An explicit ``Deny`` in the resource policy or an identity policy wins (a resource-policy deny
   that names the caller's account denies the caller too).
2. A service principal (``sns.amazonaws.com``, ``sns.<region>.amazonaws.com``) is judged by the
   resource policy alone.
3. Same account: the resource policy (naming the caller itself, ``*`` or the caller's ARN) or an
   identity policy may grant. A resource statement naming only the *account* delegates to IAM: the
   caller's identity policy must then allow.
4. Cross account: both must grant — the resource policy (the caller, or its account) and an
   identity policy of the caller.

The :class:`Decision` names the deciding statement and a one-line reason; for an implicit deny the
reason explains the nearest miss ("the queue policy has no statement whose aws:SourceArn matches
…"), which is what a failed hop shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from harness.access.conditions import Context, first_failing, normalise_context, split_arn, wildcard_match
from harness.access.policy import AccessError, Condition, Policy, PrincipalRef, Statement, as_policy

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$")
_ACCOUNT_ROOT = re.compile(r"^arn:[^:]+:iam::(\d{12}):root$")
_ROLE = re.compile(r"^arn:(?P<partition>[^:]+):iam::(?P<account>\d{12}):role/(?:.*/)?(?P<name>[^/]+)$")
_ASSUMED_ROLE = re.compile(r"^arn:(?P<partition>[^:]+):sts::(?P<account>\d{12}):assumed-role/(?P<name>[^/]+)/[^/]+$")


class Outcome(StrEnum):
    ALLOWED = "allowed"
    IMPLICIT_DENY = "implicit_deny"
    EXPLICIT_DENY = "explicit_deny"


@dataclass(frozen=True)
class Request:
    """One API call to judge.

    ``principal``: a 12-digit account id (any principal of that account, as the harness's callers
    are), an IAM ARN (role, user, assumed-role session) or a service principal. ``resource_account``
    is needed when the ARN carries none (S3). ``context``: request context keys
    (``aws:SourceArn``, ``aws:SecureTransport``, ``aws:PrincipalAccount``, ...); nothing is
    filled in for you."""

    principal: str
    action: str
    resource: str
    resource_account: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_service(self) -> bool:
        return bool(_SERVICE.match(self.principal))

    @property
    def principal_account(self) -> str | None:
        if _ACCOUNT_ID.match(self.principal):
            return self.principal
        parts = split_arn(self.principal)
        return parts[3] if parts and parts[3] else None

    @property
    def owner_account(self) -> str:
        if self.resource_account:
            return self.resource_account
        parts = split_arn(self.resource)
        if parts and parts[3]:
            return parts[3]
        raise AccessError(
            f"request for {self.resource}: the ARN names no account (S3 ARNs do not); "
            "pass resource_account= with the owner's 12-digit id"
        )


@dataclass(frozen=True)
class StatementRef:
    """Which statement decided: the policy's name and the statement's Sid / position."""

    policy: str
    index: int  # 0-based
    sid: str | None

    @property
    def label(self) -> str:
        return self.sid if self.sid else f"Statement[{self.index}]"

    def __str__(self) -> str:
        return f"{self.policy} statement {self.label}"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    statement: StatementRef | None
    reason: str  # one line

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOWED

    def __str__(self) -> str:
        return f"{self.outcome.value}: {self.reason}"


# How a Principal element matches: directly (this caller), by account (delegated to IAM), or not.
MATCH, ACCOUNT, NO_MATCH = "match", "account", "no-match"


def _principal_ref_match(ref: PrincipalRef, request: Request) -> str:
    if ref.kind == "AWS" and ref.value == "*":
        return MATCH
    if ref.kind == "Service":
        return MATCH if request.is_service and ref.value == request.principal else NO_MATCH
    if ref.kind != "AWS" or request.is_service:
        return NO_MATCH
    account = ref.value if _ACCOUNT_ID.match(ref.value) else None
    root = _ACCOUNT_ROOT.match(ref.value)
    if root:
        account = root.group(1)
    if account is not None:
        return ACCOUNT if account == request.principal_account else NO_MATCH
    if ref.value == request.principal or _session_of_role(request.principal, ref.value):
        return MATCH
    return NO_MATCH


def _session_of_role(principal: str, role_arn: str) -> bool:
    """``arn:aws:sts::<acct>:assumed-role/<name>/<session>`` is a session of ``arn:aws:iam::<acct>:role/<path/><name>``
    (role names compare case-insensitively, as IAM's do)."""
    session, role = _ASSUMED_ROLE.match(principal), _ROLE.match(role_arn)
    if not session or not role:
        return False
    same_place = session.group("partition", "account") == role.group("partition", "account")
    return same_place and session.group("name").lower() == role.group("name").lower()


def principal_match(statement: Statement, request: Request) -> str:
    """MATCH / ACCOUNT / NO_MATCH for a resource-policy statement's Principal or NotPrincipal."""
    if statement.principals is not None:
        kinds = {_principal_ref_match(r, request) for r in statement.principals}
        return MATCH if MATCH in kinds else ACCOUNT if ACCOUNT in kinds else NO_MATCH
    if statement.not_principals is not None:
        hit = any(_principal_ref_match(r, request) != NO_MATCH for r in statement.not_principals)
        return NO_MATCH if hit else MATCH
    return NO_MATCH


def action_match(statement: Statement, action: str) -> bool:
    def one(pattern: str) -> bool:
        return pattern == "*" or wildcard_match(pattern, action, ignore_case=True)

    if statement.actions is not None:
        return any(one(p) for p in statement.actions)
    return not any(one(p) for p in statement.not_actions or ())


def _resource_pattern_match(pattern: str, resource: str, context: Context) -> bool:
    if pattern == "*":
        return True
    p, r = split_arn(pattern), split_arn(resource)
    if p is None or r is None:
        return False
    head = all(wildcard_match(pf, rf, context, ignore_case=True) for pf, rf in zip(p[:4], r[:4], strict=True))
    return head and wildcard_match(p[4], r[4], context)


def resource_match(statement: Statement, resource: str, context: Context) -> bool:
    if statement.resources is not None:
        return any(_resource_pattern_match(p, resource, context) for p in statement.resources)
    if statement.not_resources is not None:
        return not any(_resource_pattern_match(p, resource, context) for p in statement.not_resources)
    return True  # a resource policy may omit Resource (it applies to its own resource)


@dataclass(frozen=True)
class _Analysis:
    policy: Policy
    statement: Statement
    action: bool
    resource: bool
    principal: str  # MATCH / ACCOUNT / NO_MATCH (always MATCH in an identity policy)
    failed: Condition | None

    @property
    def applies(self) -> bool:
        return self.action and self.resource and self.principal != NO_MATCH and self.failed is None

    @property
    def ref(self) -> StatementRef:
        return StatementRef(self.policy.name, self.statement.index, self.statement.sid)


def _analyse(policy: Policy, request: Request, context: Context, resource_side: bool) -> list[_Analysis]:
    out = []
    for st in policy.statements:
        if resource_side and st.principals is None and st.not_principals is None:
            raise AccessError(f"{policy.name}: {st.label}: a resource policy statement needs a Principal or NotPrincipal")
        if not resource_side and (st.principals is not None or st.not_principals is not None):
            raise AccessError(f"{policy.name}: {st.label}: an identity policy statement must not have a Principal")
        principal = principal_match(st, request) if resource_side else MATCH
        action, resource = action_match(st, request.action), resource_match(st, request.resource, context)
        # Conditions only of statements that could apply: an operator the evaluator lacks in an
        # unrelated statement (another action, another principal) must not stop the verdict.
        relevant = action and resource and principal != NO_MATCH
        failed = first_failing(st.conditions, context) if relevant else None
        out.append(_Analysis(policy, st, action, resource, principal, failed))
    return out


def evaluate(
    request: Request,
    resource_policy: Policy | str | Mapping[str, Any] | None,
    identity_policies: Sequence[Policy | str | Mapping[str, Any]] = (),
    *,
    resource_policy_name: str = "resource policy",
) -> Decision:
    """Judge ``request`` against the resource's policy and the caller's identity policies.

    Policies may be :class:`Policy` objects, JSON text or dicts (``None`` = the resource has no
    policy). Identity policies given as text/dicts are named ``identity policy #i``. Identity
    policies are ignored for a service principal."""
    context = normalise_context(request.context)
    resource = as_policy(resource_policy, resource_policy_name)
    identities = [as_policy(p, f"identity policy #{i}") for i, p in enumerate(identity_policies)]
    if not (request.is_service or request.principal_account):
        raise AccessError(
            f"principal {request.principal!r}: give a 12-digit account id, an IAM ARN "
            "(arn:aws:iam::<account>:role/<name>) or a service principal such as sns.amazonaws.com"
        )
    res = _analyse(resource, request, context, resource_side=True)
    ids = [] if request.is_service else [a for p in identities for a in _analyse(p, request, context, False)]

    for a in res + ids:
        if a.statement.effect == "Deny" and a.applies:
            who = f"account {request.principal_account}" if a.principal == ACCOUNT else request.principal
            return Decision(Outcome.EXPLICIT_DENY, a.ref, f"{a.ref} denies {request.action} to {who}{_cond_note(a)}")

    res_direct = next((a for a in res if a.statement.effect == "Allow" and a.applies and a.principal == MATCH), None)
    res_account = next((a for a in res if a.statement.effect == "Allow" and a.applies and a.principal == ACCOUNT), None)
    id_allow = next((a for a in ids if a.statement.effect == "Allow" and a.applies), None)
    same_account = not request.is_service and request.principal_account == request.owner_account

    if request.is_service:
        if res_direct:
            return Decision(Outcome.ALLOWED, res_direct.ref, f"{res_direct.ref} allows {request.principal}")
        return Decision(Outcome.IMPLICIT_DENY, None, _miss(res, resource, request, context))
    if same_account:
        if res_direct:
            return Decision(Outcome.ALLOWED, res_direct.ref, f"{res_direct.ref} allows {request.principal}")
        if id_allow:
            return Decision(Outcome.ALLOWED, id_allow.ref, f"{id_allow.ref} allows it (same account)")
        return Decision(
            Outcome.IMPLICIT_DENY, None, f"same account, but neither the {resource.name} nor an identity policy allows {request.action}"
        )
    granted = res_direct or res_account
    if granted and id_allow:
        return Decision(Outcome.ALLOWED, granted.ref, f"{granted.ref} grants account {request.principal_account}; {id_allow.ref} allows the caller")
    if granted:
        return Decision(
            Outcome.IMPLICIT_DENY, None, f"{granted.ref} grants it, but no identity policy of the caller allows {request.action}"
        )
    return Decision(Outcome.IMPLICIT_DENY, None, _miss(res, resource, request, context))


def _cond_note(a: _Analysis) -> str:
    keys = sorted({c.key for c in a.statement.conditions})
    return f" (condition on {', '.join(keys)})" if keys else ""


def _miss(res: list[_Analysis], policy: Policy, request: Request, context: Context) -> str:
    """Why no resource statement allows: the nearest miss, in words."""
    who = request.principal if request.is_service else f"account {request.principal_account}"
    if not policy.present:
        needs = "a service principal" if request.is_service else "a caller from another account"
        return f"there is no {policy.name}, and {needs} needs one that allows it"
    near = [a for a in res if a.statement.effect == "Allow" and a.action and a.resource and a.principal != NO_MATCH and a.failed is not None]
    if near:
        cond = near[0].failed
        assert cond is not None
        value = context.get(cond.key.lower())
        shown = "(absent)" if value is None else value if isinstance(value, str) else ", ".join(value)
        return f"the {policy.name} has no statement whose {cond.key} matches {shown}"
    return f"the {policy.name} has no statement allowing {request.action} to {who}"
