"""Policy documents → typed statements, and the errors of this package.

A policy arrives as the JSON text AWS stores (``GetQueueAttributes(Policy)``, ``GetTopicAttributes
(Policy)``, ``GetBucketPolicy``), as a parsed ``dict``, or as ``None`` when the resource has no
policy (which means: no statements). :func:`parse_policy` normalises AWS's loose grammar (a single
value or a list, booleans and numbers as condition values, ``"*"`` or ``{"AWS": "*"}``) into frozen
dataclasses, so the evaluator never looks at raw JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from harness.errors import HarnessError

Effect = Literal["Allow", "Deny"]


class AccessError(HarnessError):
    """A request or a path cannot be judged as given (bad principal, ARN without an account, ...)."""


class PolicyError(AccessError):
    """A policy document is malformed or uses something the kit's evaluator does not implement."""


@dataclass(frozen=True)
class PrincipalRef:
    """One entry of a Principal / NotPrincipal element: ``AWS``, ``Service``, ``Federated`` or
    ``CanonicalUser`` and its value. The bare ``"*"`` principal is ``PrincipalRef("AWS", "*")``."""

    kind: str
    value: str

    def __str__(self) -> str:
        return self.value if self.value == "*" else f"{self.kind}:{self.value}"


@dataclass(frozen=True)
class Condition:
    """One ``operator → key → values`` triple of a Condition block (all triples must hold)."""

    operator: str  # as written, e.g. "ForAnyValue:StringLikeIfExists"
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    index: int  # 0-based position in the policy's Statement list
    sid: str | None
    effect: Effect
    actions: tuple[str, ...] | None = None  # Action; None when the statement uses NotAction
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None  # None with NotResource, or in a trust-free statement
    not_resources: tuple[str, ...] | None = None
    principals: tuple[PrincipalRef, ...] | None = None  # None: no Principal element (identity policy)
    not_principals: tuple[PrincipalRef, ...] | None = None
    conditions: tuple[Condition, ...] = ()

    @property
    def label(self) -> str:
        """The Sid when there is one, else ``Statement[i]`` (0-based, as in the JSON)."""
        return self.sid if self.sid else f"Statement[{self.index}]"


@dataclass(frozen=True)
class Policy:
    """A named policy: ``name`` is how messages refer to it ("queue policy", "identity policy
    caller-admin", ...). ``present`` is False for a resource without any policy."""

    name: str
    statements: tuple[Statement, ...]
    present: bool = True


def _strings(value: Any, where: str, field: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (str, int, float)):
            out.append(str(item))
        else:
            raise PolicyError(f"{where}: {field} must be a string or a list of strings, not {json.dumps(item)}")
    if not out:
        raise PolicyError(f"{where}: {field} must not be empty")
    return tuple(out)


def _principals(value: Any, where: str, field: str) -> tuple[PrincipalRef, ...]:
    if value == "*":
        return (PrincipalRef("AWS", "*"),)
    if not isinstance(value, Mapping) or not value:
        raise PolicyError(
            f'{where}: {field} must be "*" or an object such as {{"AWS": "arn:aws:iam::111111111111:root"}} '
            f'or {{"Service": "sns.amazonaws.com"}}, not {json.dumps(value)}'
        )
    refs: list[PrincipalRef] = []
    for kind, ids in value.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise PolicyError(f"{where}: {field}: unknown principal type {kind!r} (AWS, Service, Federated or CanonicalUser)")
        refs.extend(PrincipalRef(kind, v) for v in _strings(ids, where, f"{field}.{kind}"))
    return tuple(refs)


def _conditions(value: Any, where: str) -> tuple[Condition, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where}: Condition must be an object of operator → {{key: values}}")
    out: list[Condition] = []
    for operator, block in value.items():
        if not isinstance(block, Mapping):
            raise PolicyError(f"{where}: Condition.{operator} must be an object of key → values")
        for key, values in block.items():
            out.append(Condition(operator, key, _strings(values, where, f"Condition.{operator}.{key}")))
    return tuple(out)


def _statement(raw: Any, index: int, policy_name: str) -> Statement:
    where = f"{policy_name}: Statement[{index}]"
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: a statement must be a JSON object")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f'{where}: Effect must be "Allow" or "Deny", not {json.dumps(effect)}')
    pairs = (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal"))
    for a, b in pairs:
        if a in raw and b in raw:
            raise PolicyError(f"{where}: a statement has {a} or {b}, not both")
    if "Action" not in raw and "NotAction" not in raw:
        raise PolicyError(f"{where}: the statement has neither Action nor NotAction")
    sid = raw.get("Sid")
    return Statement(
        index=index,
        sid=str(sid) if sid not in (None, "") else None,
        effect=effect,
        actions=_strings(raw["Action"], where, "Action") if "Action" in raw else None,
        not_actions=_strings(raw["NotAction"], where, "NotAction") if "NotAction" in raw else None,
        resources=_strings(raw["Resource"], where, "Resource") if "Resource" in raw else None,
        not_resources=_strings(raw["NotResource"], where, "NotResource") if "NotResource" in raw else None,
        principals=_principals(raw["Principal"], where, "Principal") if "Principal" in raw else None,
        not_principals=_principals(raw["NotPrincipal"], where, "NotPrincipal") if "NotPrincipal" in raw else None,
        conditions=_conditions(raw.get("Condition"), where),
    )


def parse_policy(document: str | bytes | Mapping[str, Any] | None, name: str) -> Policy:
    """Parse a policy document. ``None`` or an empty string is "no policy": no statements."""
    if document is None or (isinstance(document, (str, bytes)) and not document.strip()):
        return Policy(name, (), present=False)
    if isinstance(document, (str, bytes)):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as err:
            raise PolicyError(f"{name}: not valid JSON ({err.msg} at line {err.lineno} column {err.colno})") from err
    if not isinstance(document, Mapping):
        raise PolicyError(f"{name}: a policy must be a JSON object with a Statement list")
    raw = document.get("Statement")
    if raw is None:
        raise PolicyError(f"{name}: the policy has no Statement element")
    items = raw if isinstance(raw, list) else [raw]
    return Policy(name, tuple(_statement(s, i, name) for i, s in enumerate(items)))


def as_policy(policy: Policy | str | Mapping[str, Any] | None, name: str) -> Policy:
    """Accept an already-parsed :class:`Policy` or anything :func:`parse_policy` accepts."""
    return policy if isinstance(policy, Policy) else parse_policy(policy, name)
