"""The result of a topology change and its verdict: the input of change.md / change.json. No I/O.

A change is **rejected** when a hazard was not acknowledged (``--allow``), when probe traffic on a
path that exists before and after lost messages, or when a scenario of NEW did not pass;
otherwise it is **accepted**.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.change.diff import AccessChange, PathDiff
from harness.change.hazards import Hazard, unacknowledged
from harness.change.plan import ORDER, ResourceChange
from harness.change.probe import PathResult
from harness.scenario.judge.result import PASSED, ScenarioResult

SCHEMA = "harness-change/1"
ACCEPTED, REJECTED = "accepted", "rejected"


@dataclass
class ChangeOutcome:
    run_id: str
    target: str
    base: dict[str, str]  # {"name", "file"}
    new: dict[str, str]
    changes: list[ResourceChange] = field(default_factory=list)
    drift: list[ResourceChange] = field(default_factory=list)  # planned, but not caused by the change
    paths: PathDiff = field(default_factory=PathDiff)
    access: list[AccessChange] = field(default_factory=list)
    hazards: list[Hazard] = field(default_factory=list)
    allowed: frozenset[str] = frozenset()
    applied: bool = False
    apply_seconds: float = 0.0  # the change window: how long the apply took
    probe: list[PathResult] = field(default_factory=list)
    unprobed: list[str] = field(default_factory=list)  # kept paths the probe could not cover, and why
    scenarios: list[ScenarioResult] = field(default_factory=list)
    scenarios_run: bool = False
    error: str | None = None  # why the change stopped early

    # -- verdict -------------------------------------------------------------------------------------
    def reasons(self) -> list[str]:
        """Why the change is rejected (empty: accepted)."""
        out = [f"hazard not acknowledged: {h.line}" for h in unacknowledged(self.hazards, self.allowed)]
        if self.error:
            out.append(f"the change did not complete: {self.error}")
        for r in self.probe:
            if r.lost:
                out.append(f"probe lost {r.lost} of {r.sent} message(s) on surviving path {r.path.label}")
            if r.corrupted:
                out.append(f"probe received {r.corrupted} corrupted message(s) on {r.path.label}")
        for s in self.scenarios:
            if s.status != PASSED:
                out.append(f"scenario {s.name} {s.status}: {s.failures[0] if s.failures else ''}".rstrip(": "))
        unknown = sorted(self.allowed - {h.token for h in self.hazards})
        if unknown:
            out.append(f"--allow {', '.join(unknown)} acknowledges no hazard of this change; drop it or fix its spelling")
        return out

    @property
    def verdict(self) -> str:
        return REJECTED if self.reasons() else ACCEPTED

    def counts(self) -> dict[str, int]:
        return {action: sum(c.action == action for c in self.changes) for action in ORDER}

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "run_id": self.run_id,
            "target": self.target,
            "base": dict(self.base),
            "new": dict(self.new),
            "verdict": self.verdict,
            "reasons": self.reasons(),
            "summary": self.counts(),
            "changes": [c.as_dict() for c in self.changes],
            "drift": [c.as_dict() for c in self.drift],
            "hazards": [h.as_dict(self.allowed) for h in self.hazards],
            "paths": self.paths.as_dict(),
            "access": [a.as_dict() for a in self.access],
            "applied": self.applied,
            "apply_seconds": round(self.apply_seconds, 3),
            "probe": [r.as_dict() for r in self.probe],
            "unprobed": list(self.unprobed),
            "scenarios": [{"name": s.name, "status": s.status, "failures": list(s.failures)} for s in self.scenarios],
            "scenarios_run": self.scenarios_run,
            "error": self.error,
        }
