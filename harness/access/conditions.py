"""Wildcards, policy variables and condition operators, as AWS IAM evaluates them.

Semantics (checked against ``@cloud-copilot/iam-simulate`` by tests/access/test_oracle.py):

- Several values under one key: any may match (for a negated operator: none may match).
- A missing key: false, except for ``...IfExists`` and negated operators (``StringNotEquals``,
  ``ArnNotLike``, ``NumericNotEquals``, ...), which hold; ``Null`` tests presence;
  ``ForAllValues:`` holds and ``ForAnyValue:`` fails on a missing key.
- A multi-valued key (a list in the request context) only matches through a set operator.
- ``Arn*`` compares the six ARN fields one by one (wildcards stay inside a field).
- ``${key}`` policy variables resolve from the request context (``${*}``, ``${?}``, ``${$}`` are
  literal escapes); an unresolvable variable makes the value match nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from harness.access.policy import Condition, PolicyError

ContextValue = str | tuple[str, ...]
Context = Mapping[str, ContextValue]  # keys lower-cased (see normalise_context)

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


class _Unresolved(Exception):
    """A policy variable names a key the request context does not have."""


def normalise_context(context: Mapping[str, object]) -> dict[str, ContextValue]:
    """Lower-case the keys; booleans → "true"/"false", numbers → str, lists → tuples of str."""
    out: dict[str, ContextValue] = {}
    for key, value in context.items():
        if isinstance(value, (list, tuple)):
            out[key.lower()] = tuple(_scalar(v) for v in value)
        else:
            out[key.lower()] = _scalar(value)
    return out


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _pattern(value: str, context: Context, wildcards: bool, flags: int = 0) -> re.Pattern[str]:
    """A policy string as an anchored regex: variables resolved, ``*``/``?`` wild when asked."""
    parts: list[str] = []
    pos = 0
    for m in re.finditer(r"\$\{[^}]*\}|[*?]", value):
        parts.append(re.escape(value[pos : m.start()]))
        token = m.group(0)
        if token in ("*", "?"):
            parts.append((".*" if token == "*" else ".") if wildcards else re.escape(token))
        else:
            parts.append(re.escape(_resolve(token[2:-1], context)))
        pos = m.end()
    parts.append(re.escape(value[pos:]))
    return re.compile("".join(parts), flags | re.DOTALL)


def _resolve(name: str, context: Context) -> str:
    name = name.strip()
    if name in _ESCAPES:
        return _ESCAPES[name]
    value = context.get(name.lower())
    if not isinstance(value, str):
        raise _Unresolved(name)
    return value


def wildcard_match(pattern: str, text: str, context: Context | None = None, ignore_case: bool = False) -> bool:
    """``*``/``?`` glob match of a whole string (policy variables resolved from ``context``)."""
    try:
        rx = _pattern(pattern, context or {}, wildcards=True, flags=re.IGNORECASE if ignore_case else 0)
    except _Unresolved:
        return False
    return rx.fullmatch(text) is not None


def split_arn(arn: str) -> tuple[str, str, str, str, str] | None:
    """(partition, service, region, account, resource) of an ARN, or None if it is not one."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return parts[1], parts[2], parts[3], parts[4], parts[5]


def arn_like(pattern: str, arn: str, context: Context) -> bool:
    """ArnLike / ArnEquals: field by field, wildcards within a field, case-sensitive."""
    p, a = split_arn(pattern), split_arn(arn)
    if p is None or a is None:
        return False
    return all(wildcard_match(pf, af, context) for pf, af in zip(p, a, strict=True))


def _numeric(text: str) -> float | None:
    try:
        return float(text) if "." in text else float(int(text, 10))
    except ValueError:
        return None


def _num_op(check: Callable[[float, float], bool]) -> Callable[[str, str, Context], bool]:
    def op(policy_value: str, request_value: str, context: Context) -> bool:
        p, r = _numeric(policy_value), _numeric(request_value)
        return p is not None and r is not None and check(r, p)

    return op


def _equals(ignore_case: bool) -> Callable[[str, str, Context], bool]:
    def op(policy_value: str, request_value: str, context: Context) -> bool:
        try:
            rx = _pattern(policy_value, context, wildcards=False, flags=re.IGNORECASE if ignore_case else 0)
        except _Unresolved:
            return False
        return rx.fullmatch(request_value) is not None

    return op


def _like(policy_value: str, request_value: str, context: Context) -> bool:
    return wildcard_match(policy_value, request_value, context)


def _bool(policy_value: str, request_value: str, context: Context) -> bool:
    pv, rv = policy_value.lower(), request_value.lower()
    return pv in ("true", "false") and rv in ("true", "false") and pv == rv


# base operator (lower case) → (positive per-value test, negated?)
_OPERATORS: dict[str, tuple[Callable[[str, str, Context], bool], bool]] = {
    "stringequals": (_equals(False), False),
    "stringnotequals": (_equals(False), True),
    "stringequalsignorecase": (_equals(True), False),
    "stringnotequalsignorecase": (_equals(True), True),
    "stringlike": (_like, False),
    "stringnotlike": (_like, True),
    "arnequals": (lambda p, r, c: arn_like(p, r, c), False),
    "arnlike": (lambda p, r, c: arn_like(p, r, c), False),
    "arnnotequals": (lambda p, r, c: arn_like(p, r, c), True),
    "arnnotlike": (lambda p, r, c: arn_like(p, r, c), True),
    "bool": (_bool, False),
    "numericequals": (_num_op(lambda r, p: r == p), False),
    "numericnotequals": (_num_op(lambda r, p: r == p), True),
    "numericlessthan": (_num_op(lambda r, p: r < p), False),
    "numericlessthanequals": (_num_op(lambda r, p: r <= p), False),
    "numericgreaterthan": (_num_op(lambda r, p: r > p), False),
    "numericgreaterthanequals": (_num_op(lambda r, p: r >= p), False),
}

SUPPORTED_OPERATORS = tuple(sorted(_OPERATORS)) + ("null",)


def _parse_operator(operator: str) -> tuple[str | None, str, bool]:
    """(set operator or None, base operator lower-cased, IfExists?)."""
    set_op: str | None = None
    base = operator
    if ":" in operator:
        set_op, base = operator.split(":", 1)
        if set_op.lower() not in ("foranyvalue", "forallvalues"):
            raise PolicyError(f"condition operator {operator!r}: unknown set operator {set_op!r} (ForAnyValue or ForAllValues)")
        set_op = set_op.lower()
    if_exists = base.lower().endswith("ifexists") and base.lower() != "ifexists"
    if if_exists:
        base = base[: -len("IfExists")]
    base = base.lower()
    if base != "null" and base not in _OPERATORS:
        raise PolicyError(
            f"condition operator {operator!r} is not implemented by the kit's evaluator "
            f"(supported: {', '.join(SUPPORTED_OPERATORS)}, with IfExists and ForAnyValue:/ForAllValues:)"
        )
    return set_op, base, if_exists


def _one_value(test: Callable[[str, str, Context], bool], negated: bool, values: Sequence[str], request_value: str, context: Context) -> bool:
    hit = any(test(v, request_value, context) for v in values)
    return not hit if negated else hit


def condition_holds(condition: Condition, context: Context) -> bool:
    """Whether one condition triple holds for the request context."""
    set_op, base, if_exists = _parse_operator(condition.operator)
    present = condition.key.lower() in context
    value = context.get(condition.key.lower())
    if base == "null":
        goal = "false" if present else "true"
        return any(v.lower() == goal for v in condition.values)
    test, negated = _OPERATORS[base]
    if set_op == "forallvalues":
        if value is None:
            return True
        items = (value,) if isinstance(value, str) else value
        return all(_one_value(test, negated, condition.values, item, context) for item in items)
    if set_op == "foranyvalue":
        if value is None:
            return False
        items = (value,) if isinstance(value, str) else value
        return any(_one_value(test, negated, condition.values, item, context) for item in items)
    if value is None:
        return if_exists or negated
    if not isinstance(value, str):
        return False  # a multi-valued key needs ForAnyValue:/ForAllValues:
    return _one_value(test, negated, condition.values, value, context)


def first_failing(conditions: Sequence[Condition], context: Context) -> Condition | None:
    """The first condition that does not hold, or None when all hold (an empty block holds)."""
    for condition in conditions:
        if not condition_holds(condition, context):
            return condition
    return None
