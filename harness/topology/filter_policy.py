"""The SNS rules for a subscription's ``filter_policy`` (a mapping of attribute to a list of values)."""

from __future__ import annotations

from typing import Any

from harness.topology.sourced_yaml import Node

FILTER_POLICY_MAX_KEYS = 5
FILTER_POLICY_MAX_COMBINATIONS = 150


def read_filter_policy(node: Node) -> dict[str, Any] | None:
    """The policy as the JSON object SNS stores, or ``None`` after recording what is wrong."""
    fields = node.mapping(
        hint="write the filter policy as a mapping of attribute to a list of values, "
        "e.g. filter_policy: {kind: [invoice]}"
    )
    if fields is None:
        return None
    ok = True
    if not fields:
        node.problem("is empty; add at least one attribute, e.g. filter_policy: {kind: [invoice]}, or remove it")
        ok = False
    if len(fields) > FILTER_POLICY_MAX_KEYS:
        node.problem(
            f"has {len(fields)} attributes but SNS allows at most {FILTER_POLICY_MAX_KEYS}; "
            "remove some or split the subscription"
        )
        ok = False
    combinations = 1
    for key, value in fields.items():
        if not value.kind == "list":
            example = value.raw if value.kind == "scalar" and value.raw else "value"
            value.problem(f"expected a list of values but found {value.describe()}; write {key}: [{example}]")
            ok = False
            continue
        entries = value.items() or []
        if not entries:
            value.problem(f"is an empty list; SNS needs at least one value, e.g. {key}: [value]")
            ok = False
            continue
        for entry in entries:
            if entry.kind == "list":
                entry.problem(
                    f"a filter value cannot be a list; write scalar values or operators, e.g. "
                    f"{key}: [a, b] or {key}: [{{prefix: a}}]"
                )
                ok = False
        combinations *= len(entries)
    if combinations > FILTER_POLICY_MAX_COMBINATIONS:
        node.problem(
            f"has {combinations} value combinations but SNS allows at most "
            f"{FILTER_POLICY_MAX_COMBINATIONS}; use fewer values"
        )
        ok = False
    policy = node.to_python()
    return policy if ok and isinstance(policy, dict) else None
