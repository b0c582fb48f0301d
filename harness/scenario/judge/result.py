"""What a scenario run produces: the input of reports. No I/O here.

A scenario's status says what happened, in this order of precedence:

- ``error``: it could not run to the end (the endpoint went away, an AWS call failed);
- ``failed``: an expectation or an outcome objective was missed (a message lost, late, damaged,
  duplicated where forbidden, out of order; a latency or throughput bound crossed);
- ``inconclusive``: every outcome was met, but the run did not produce the conditions the scenario
  asked for (the sender could not keep the requested rate or schedule), or an objective could not
  be shown on this target. Not green, and not a delivery failure: the figures were measured under
  other conditions than the ones promised. It exits non-zero unless the user accepts it
  (``--accept-inconclusive``);
- ``passed``: every objective the scenario states or implies was met.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from harness.scenario.judge.measure import PathStats
from harness.scenario.judge.objectives import CONDITION, MISSED, NOT_OBSERVABLE, Objective, worst

PASSED = "passed"
FAILED = "failed"
INCONCLUSIVE = "inconclusive"
ERROR = "error"  # the scenario could not run (service unreachable, bad manifest, ...)
STATUSES = (PASSED, INCONCLUSIVE, FAILED, ERROR)  # best first
SCHEMA = "harness-report/2"


@dataclass
class ScenarioResult:
    name: str
    file: str
    status: str = PASSED
    duration_s: float = 0.0
    failures: list[str] = field(default_factory=list)
    paths: list[PathStats] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    access: list[dict[str, Any]] = field(default_factory=list)  # per hop: HopVerdict.as_dict() (harness.access)
    expect_denied: list[dict[str, Any]] = field(default_factory=list)  # per entry: DenialOutcome.as_dict()
    send: dict[str, Any] | None = None  # how the sends kept their schedule (send_pool.SendSummary.as_dict)
    sent: int = 0  # messages the scenario sent (whatever its paths: right for an expect_not-only scenario)
    description: str = ""
    objectives: list[Objective] = field(default_factory=list)  # every objective stated or implied, judged
    requests: dict[str, Any] | None = None  # API requests: by_operation, total, empty_receives
    sections: dict[str, Any] = field(default_factory=dict)  # further report sections by name: "faults", "payloads"

    def fail(self, message: str) -> None:
        self.failures.append(message)
        if self.status == PASSED:
            self.status = FAILED

    def settle(self) -> str:
        """The final status from the failures and the objectives (see the module doc)."""
        if self.status == ERROR:
            return self.status
        verdict = worst(self.objectives)
        if self.failures or verdict == MISSED:
            self.status = FAILED
        elif verdict in (CONDITION, NOT_OBSERVABLE):
            self.status = INCONCLUSIVE
        else:
            self.status = PASSED
        return self.status

    @property
    def inconclusive_because(self) -> list[str]:
        """The objectives that make the scenario inconclusive, as lines."""
        return [o.text for o in self.objectives if (o.result == MISSED and o.kind == CONDITION) or o.result == NOT_OBSERVABLE]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file,
            "description": self.description,
            "status": self.status,
            "duration_s": round(self.duration_s, 3),
            "failures": list(self.failures),
            "objectives": [o.as_dict() for o in self.objectives],
            "notes": list(self.notes),
            "paths": [p.as_dict() for p in self.paths],
            "access": list(self.access),
            "expect_denied": list(self.expect_denied),
            **({"send": self.send} if self.send is not None else {}),
            **({"sent": self.sent} if self.sent else {}),
            **({"requests": self.requests} if self.requests is not None else {}),
            **self.sections,
        }


@dataclass
class RunReport:
    run_id: str
    target: str
    endpoint_url: str | None
    topology: str
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    scenarios: list[ScenarioResult] = field(default_factory=list)
    access: dict[str, Any] | None = None  # the run's access matrix (AccessMatrix.as_dict()), or {"error": line}
    resources: dict[str, Any] | None = None  # every entry of every kind: {group: {name: description}}
    meta: dict[str, Any] = field(default_factory=dict)  # kit version, git commit, emulator version, topology sha256, ...

    @property
    def status(self) -> str:
        """The worst scenario's status (``failed`` for a run without scenarios)."""
        if not self.scenarios:
            return FAILED
        return max((s.status for s in self.scenarios), key=STATUSES.index)

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "run_id": self.run_id,
            "target": self.target,
            "endpoint_url": self.endpoint_url,
            "topology": self.topology,
            "status": self.status,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": round((self.finished_at or time.time()) - self.started_at, 3),
            "meta": dict(self.meta),
            "totals": {
                "scenarios": len(self.scenarios),
                "passed": sum(s.status == PASSED for s in self.scenarios),
                "inconclusive": sum(s.status == INCONCLUSIVE for s in self.scenarios),
                "failed": sum(s.status == FAILED for s in self.scenarios),
                "errors": sum(s.status == ERROR for s in self.scenarios),
                "objectives": sum(len(s.objectives) for s in self.scenarios),
                "objectives_missed": sum(o.result == MISSED for s in self.scenarios for o in s.objectives),
            },
            "scenarios": [s.as_dict() for s in self.scenarios],
            **({"access": self.access} if self.access is not None else {}),
            **({"resources": self.resources} if self.resources is not None else {}),
        }
