"""The SNS rules for a subscription's ``filter_policy`` and its ``filter_policy_scope``.

- ``MessageAttributes`` (the default): a mapping of attribute name to a list of values or operators;
  SNS refuses nested policies here.
- ``MessageBody``: the policy filters the JSON message body, and may nest (``{detail: {kind: [a]}}``)
  to match nested fields.

Limits as AWS applies them: at most 5 keys (the keys holding value lists, at any depth), at most
150 value combinations (the product of the lengths of those lists), numeric operands within
±1e9. Nesting is bounded at :data:`FILTER_POLICY_MAX_DEPTH` levels (the kit's bound; deeper
policies are refused rather than sent to SNS untested). Operators must be ones SNS knows.

``"$or"`` (AWS: "AND/OR logic" in the SNS developer guide): a key ``$or`` whose value is a list of
at least 2 mappings, none of which has an operator keyword (``prefix``, ``numeric``, …) as a
field, is an OR of those alternatives; otherwise SNS reads ``$or`` as a plain attribute name.
It may stand beside other keys (``{source: [a], $or: [{x: [1]}, {y: [2]}]}`` is source AND (x OR
y)), inside an alternative (nested OR) and, with MessageBody scope, inside a nested property, in
either scope. An alternative's keys are at the level of the ``$or`` itself. Counted as SNS (and
LocalStack 4.13.1's validator) count them: the combinations of an ``$or`` are the *sum* of its
alternatives' (the policy's are the product over its keys); the 5-key limit counts each key
path once, whichever alternatives name it.
"""

from __future__ import annotations

from typing import Any

import yaml

from harness.topology.sourced_yaml import Node, join_names, quote

FILTER_POLICY_MAX_KEYS = 5
FILTER_POLICY_MAX_COMBINATIONS = 150
FILTER_POLICY_MAX_DEPTH = 5
NUMERIC_LIMIT = 1e9
SCOPES = ("MessageAttributes", "MessageBody")
OPERATORS = ("prefix", "suffix", "anything-but", "numeric", "exists", "equals-ignore-case", "cidr", "wildcard")
NUMERIC_OPS = ("=", "<", "<=", ">", ">=")


def read_filter_policy_scope(node: Node, has_policy: bool) -> str:
    """``MessageAttributes`` or ``MessageBody`` (the default after a problem)."""
    scope = node.string(what="filter policy scope", hint=f"write one of {join_names(SCOPES)}")
    if scope is not None and scope not in SCOPES:
        node.problem(f"unknown scope {quote(scope)}; write one of {join_names(SCOPES)}")
        scope = None
    if scope is not None and not has_policy:
        node.problem("has no filter_policy to scope; add filter_policy: {...} or remove filter_policy_scope")
    return scope or "MessageAttributes"


OR_KEY = "$or"


def is_or(value: Node) -> bool:
    """Whether SNS reads ``$or: value`` as an OR: a list of at least 2 mappings, none with an
    operator keyword as a field."""
    items = value.yaml.value if value.kind == "list" else []
    return len(items) >= 2 and all(
        isinstance(item, yaml.MappingNode) and not any(getattr(k, "value", None) in OPERATORS for k, _ in item.value) for item in items
    )


def _one_alternative(value: Node) -> bool:
    """``$or: [{kind: [a]}]``: an OR of one alternative, which SNS would read as an attribute name."""
    items = value.yaml.value if value.kind == "list" else []
    return len(items) == 1 and isinstance(items[0], yaml.MappingNode) and not any(
        getattr(k, "value", None) in OPERATORS for k, _ in items[0].value
    )


class _Walk:
    def __init__(self, body: bool):
        self.body, self.ok = body, True
        self.keys: set[str] = set()  # every key path holding a value list, once

    def problem(self, node: Node, message: str) -> None:
        node.problem(message)
        self.ok = False

    def mapping(self, node: Node, depth: int, path: str = "") -> int:
        """Walk one mapping of the policy; its value combinations."""
        fields = node.mapping(
            hint="write the filter policy as a mapping of attribute to a list of values, e.g. filter_policy: {kind: [invoice]}"
        )
        if fields is None:
            self.ok = False
            return 1
        if not fields:
            self.problem(node, "is empty; add at least one key, e.g. filter_policy: {kind: [invoice]}, or remove it")
        combinations = 1
        for key, value in fields.items():
            if key == OR_KEY and is_or(value):
                combinations *= sum(self.mapping(alternative, depth, path) for alternative in value.items() or [])
            elif key == OR_KEY and _one_alternative(value):
                self.problem(value, "an $or needs at least 2 alternatives, e.g. $or: [{kind: [a]}, {region: [b]}] (SNS reads an $or "
                             "with one as an attribute named $or); write its keys beside the others instead")
            elif value.kind == "mapping":
                if not self.body:
                    self.problem(value, "nested filter policies filter the message body; add filter_policy_scope: MessageBody "
                                 f"to the subscription, or write {key}: [value]")
                elif depth >= FILTER_POLICY_MAX_DEPTH:
                    self.problem(value, f"nests deeper than {FILTER_POLICY_MAX_DEPTH} levels; flatten the policy")
                else:
                    combinations *= self.mapping(value, depth + 1, f"{path}{key}.")
            elif value.kind == "list":
                combinations *= self.values(key, value, path)
            else:
                example = value.raw if value.kind == "scalar" and value.raw else "value"
                self.problem(value, f"expected a list of values but found {value.describe()}; write {key}: [{example}]")
        return combinations

    def values(self, key: str, node: Node, path: str = "") -> int:
        entries = node.items() or []
        self.keys.add(path + key)
        if not entries:
            self.problem(node, f"is an empty list; SNS needs at least one value, e.g. {key}: [value]")
            return 1
        for entry in entries:
            if entry.kind == "list":
                self.problem(entry, f"a filter value cannot be a list; write scalar values or operators, e.g. {key}: [a, b] or {key}: [{{prefix: a}}]")
            elif entry.kind == "mapping":
                self.operator(entry)
        return len(entries)

    def operator(self, node: Node) -> None:
        fields = node.mapping() or {}
        for name, operand in fields.items():
            if name not in OPERATORS:
                self.problem(operand, f"unknown filter operator {quote(name)}; use one of {join_names(OPERATORS)}")
            elif name == "numeric":
                self.numeric(operand)

    def numeric(self, node: Node) -> None:
        items = node.to_python()
        ops_ok = isinstance(items, list) and len(items) in (2, 4) and all(
            isinstance(op, str) and op in NUMERIC_OPS and isinstance(n, (int, float)) and not isinstance(n, bool)
            for op, n in zip(items[::2], items[1::2])
        )
        if not ops_ok:
            self.problem(node, "write numeric: [\">\", 10] or numeric: [\">=\", 0, \"<\", 100] (operators =, <, <=, >, >=)")
        elif any(abs(n) > NUMERIC_LIMIT for n in items[1::2]):
            self.problem(node, "SNS matches numbers between -1e9 and 1e9 only; use an operand within that range")


def read_filter_policy(node: Node, scope: str = "MessageAttributes") -> dict[str, Any] | None:
    """The policy as the JSON object SNS stores, or ``None`` after recording what is wrong."""
    walk = _Walk(body=scope == "MessageBody")
    combinations = walk.mapping(node, 1)
    if len(walk.keys) > FILTER_POLICY_MAX_KEYS:
        what = "keys" if walk.body else "attributes"
        walk.problem(node, f"has {len(walk.keys)} {what} but SNS allows at most {FILTER_POLICY_MAX_KEYS}; remove some or split the subscription")
    if combinations > FILTER_POLICY_MAX_COMBINATIONS:
        walk.problem(node, f"has {combinations} value combinations but SNS allows at most {FILTER_POLICY_MAX_COMBINATIONS}; use fewer values")
    policy = node.to_python()
    return policy if walk.ok and isinstance(policy, dict) else None
