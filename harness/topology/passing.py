"""Message attributes that a set of SNS filter policies let through (pure, no I/O).

Used wherever the harness must send a message of its own down a filtered subscription: the change
probe (:mod:`harness.change.select`, a message passing the filter before *and* after a change) and
the delivery canary after an apply (:mod:`harness.scenario.execute.settle`). Only exact string matches are
modelled; a policy with operators (``prefix``, ``numeric``, ``anything-but``, ``exists``…) or
nested keys gets ``None``: the caller says that it cannot pass a message of its own through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def passing_attributes(*policies: Mapping[str, Any] | None) -> dict[str, str] | None:
    """String attributes every one of ``policies`` (exact-match lists) lets through; None if none."""
    allowed: dict[str, set[str]] = {}
    for policy in policies:
        if policy is None:
            continue
        for key, values in policy.items():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                return None
            allowed[key] = allowed[key] & set(values) if key in allowed else set(values)
    if any(not values for values in allowed.values()):
        return None
    return {key: min(values) for key, values in sorted(allowed.items())}
