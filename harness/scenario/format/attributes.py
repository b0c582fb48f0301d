"""Read a send's ``attributes:`` (typed message attributes) and check them against filter policies.

Two forms, mixable::

    attributes:
      kind: invoice                                  # plain: a String
      price: {type: Number, value: 20.5}
      blob: {type: Binary, value: AAEC}              # base64; sent decoded
      tags: {type: String.Array, value: [a, b, 3]}   # sent as the JSON array ["a", "b", 3]

AWS's rule the harness enforces itself: a ``numeric`` filter condition matches only ``Number``
attributes. LocalStack 4.13.1 also matches a ``String`` attribute holding a number, so a scenario
relying on that would pass here and fail on AWS (and an ``expect_not`` would fail here and pass
there): :func:`numeric_filter_on_string` finds such an attribute so the loader can refuse it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

from harness.payload import wire
from harness.scenario.format.model import ATTRIBUTE_TYPES, Attribute
from harness.topology.model import Topology
from harness.topology.sourced_yaml import Node, join_names, quote

MAX_USER_ATTRIBUTES = 8  # beside the harness's correlation attribute and an offloaded message's size
NAME_RE = re.compile(r"[A-Za-z0-9_.\-]{1,256}")
NUMBER_RE = re.compile(r"[-+]?(\d+)(?:\.(\d+))?(?:[eE][-+]?\d+)?")
NUMBER_DIGITS = 38  # AWS: up to 38 digits of precision
NUMBER_RANGE = (1e-128, 1e126)
TYPED_HINT = "write name: text (a String) or name: {type: String|Number|Binary|String.Array, value: ...}"


def _name_problem(name: str) -> str | None:
    if not NAME_RE.fullmatch(name):
        return "an attribute name is 1-256 letters, digits, '_', '-' and '.'"
    if name.startswith(".") or name.endswith(".") or ".." in name:
        return "an attribute name may not start or end with '.' nor contain '..'"
    if name.lower().startswith(("aws.", "amazon.")):
        return "names starting with AWS. or Amazon. are reserved by AWS"
    if name in wire.RESERVED_ATTRIBUTES or name in wire.HARNESS_ATTRIBUTES:
        return "the harness sets this attribute itself; pick another name"
    return None


def _number(node: Node) -> str | None:
    text = node.raw if node.kind == "scalar" else None
    m = NUMBER_RE.fullmatch(text.strip()) if text else None
    if text is None or m is None:
        node.problem(f"expected a number but found {node.describe()}; write e.g. value: 20 or value: -3.5e2")
        return None
    digits = (m.group(1) + (m.group(2) or "")).lstrip("0")
    magnitude = abs(float(text))
    if len(digits) > NUMBER_DIGITS or (magnitude and not NUMBER_RANGE[0] <= magnitude <= NUMBER_RANGE[1]):
        node.problem(f"{quote(text)} is outside what a Number attribute holds (38 digits, magnitude 1e-128 to 1e126)")
        return None
    return text.strip()


def _typed(node: Node) -> Attribute | None:
    f = node.mapping(allowed=("type", "value"), required=("type", "value"), hint=TYPED_HINT)
    if f is None or "type" not in f or "value" not in f:
        return None
    kind = f["type"].string(what="attribute type", hint=f"use one of {join_names(ATTRIBUTE_TYPES)}")
    if kind is None:
        return None
    if kind not in ATTRIBUTE_TYPES:
        f["type"].problem(f"unknown attribute type {quote(kind)}; use one of {join_names(ATTRIBUTE_TYPES)}")
        return None
    value = f["value"]
    if kind == "Number":
        number = _number(value)
        return Attribute(kind, number) if number is not None else None
    if kind == "String.Array":
        items = value.items(hint="write the array as a list, e.g. value: [a, b, 3]")
        if items is None:
            return None
        if any(i.kind in ("list", "mapping") for i in items):
            value.problem("a String.Array holds strings, numbers, true/false or null, not lists or mappings")
            return None
        return Attribute(kind, json.dumps(value.to_python(), separators=(",", ":")))
    if value.kind != "scalar" or value.raw in (None, ""):
        value.problem(f"expected a non-empty value but found {value.describe()}; AWS refuses empty attribute values")
        return None
    text = str(value.raw)
    if kind == "Binary":
        try:
            if not base64.b64decode(text, validate=True):
                raise binascii.Error("empty")
        except (binascii.Error, ValueError):
            value.problem(f"{quote(text)} is not non-empty base64; write the bytes base64-encoded, e.g. value: AAEC")
            return None
    return Attribute(kind, text)


def read_attributes(node: Node) -> dict[str, Attribute] | None:
    """The attributes by name, or None after recording every problem."""
    fields = node.mapping(hint=f"e.g. attributes: {{kind: invoice}}; {TYPED_HINT}")
    if fields is None:
        return None
    out: dict[str, Attribute] = {}
    ok = True
    for name, value in fields.items():
        why = _name_problem(name)
        if why is not None:
            value.problem(f"{quote(name)} is not a usable attribute name: {why}")
            ok = False
            continue
        if value.kind == "mapping":
            attribute = _typed(value)
        else:
            text = value.string(what="attribute value", hint=f"or {TYPED_HINT}")
            attribute = None if text is None else Attribute("String", text)
            if text == "":
                value.problem("is empty; AWS refuses empty attribute values")
                attribute = None
        if attribute is None:
            ok = False
        else:
            out[name] = attribute
    if len(fields) > MAX_USER_ATTRIBUTES:
        node.problem(f"{len(fields)} attributes; at most {MAX_USER_ATTRIBUTES} fit beside the harness's own (SQS allows 10)")
        ok = False
    return out if ok else None


def _numeric_keys(policy: Mapping[str, Any]) -> set[str]:
    """Top-level attribute names the policy filters with a ``numeric`` condition."""
    return {
        key for key, values in policy.items()
        if isinstance(values, list) and any(isinstance(v, dict) and "numeric" in v for v in values)
    }


def numeric_filter_on_string(topo: Topology, topic: str, queue: str, attributes: Mapping[str, Attribute]) -> str | None:
    """The first attribute sent as a String (or String.Array) that the subscription of ``queue`` to
    ``topic`` filters with a numeric condition, or None. On AWS that subscription never matches it."""
    for sub in topo.subscriptions:
        if sub.topic != topic or sub.endpoint != queue or not sub.filter_policy:
            continue
        if getattr(sub, "filter_policy_scope", "MessageAttributes") == "MessageBody":
            continue
        for key in sorted(_numeric_keys(sub.filter_policy)):
            if key in attributes and attributes[key].type != "Number":
                return key
    return None


def body_filter_unmatchable(topo: Topology, topic: str, queue: str, body: str | None, offload: str) -> str | None:
    """Why the MessageBody-scoped subscription of ``queue`` to ``topic`` can never match this send's
    messages (no JSON body, or every body replaced by an S3 pointer), or None."""
    for sub in topo.subscriptions:
        if sub.topic != topic or sub.endpoint != queue or sub.filter_policy_scope != "MessageBody" or not sub.filter_policy:
            continue
        if body is None:
            return "its payloads are not JSON; add body: {...} with the fields the policy matches"
        if offload == "always":
            return "offload: always replaces every body with an S3 pointer, which the policy never matches; remove it"
    return None
