"""What a scenario run produces: the input of reports. No I/O here."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from harness.scenario.judge.measure import PathStats

PASSED = "passed"
FAILED = "failed"
ERROR = "error"  # the scenario could not run (service unreachable, bad manifest, ...)


@dataclass
class ScenarioResult:
    name: str
    file: str
    status: str = PASSED
    duration_s: float = 0.0
    failures: list[str] = field(default_factory=list)
    paths: list[PathStats] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    access: list[dict] = field(default_factory=list)  # per hop: HopVerdict.as_dict() (harness.access)
    expect_denied: list[dict] = field(default_factory=list)  # per entry: DenialOutcome.as_dict()
    send: dict | None = None  # how the sends kept their schedule (send_pool.SendSummary.as_dict)
    sent: int = 0  # messages the scenario sent (whatever its paths: right for an expect_not-only scenario)

    def fail(self, message: str) -> None:
        self.failures.append(message)
        if self.status == PASSED:
            self.status = FAILED

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "file": self.file,
            "status": self.status,
            "duration_s": round(self.duration_s, 3),
            "failures": list(self.failures),
            "notes": list(self.notes),
            "paths": [p.as_dict() for p in self.paths],
            "access": list(self.access),
            "expect_denied": list(self.expect_denied),
            **({"send": self.send} if self.send is not None else {}),
            **({"sent": self.sent} if self.sent else {}),
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
    access: dict | None = None  # the run's access matrix (AccessMatrix.as_dict()), or {"error": line}
    resources: dict | None = None  # where each topic, queue and bucket lives: {kind: {name: {account, region, name}}}

    @property
    def status(self) -> str:
        return PASSED if self.scenarios and all(s.status == PASSED for s in self.scenarios) else FAILED

    def as_dict(self) -> dict:
        return {
            "schema": "harness-report/1",
            "run_id": self.run_id,
            "target": self.target,
            "endpoint_url": self.endpoint_url,
            "topology": self.topology,
            "status": self.status,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": round((self.finished_at or time.time()) - self.started_at, 3),
            "totals": {
                "scenarios": len(self.scenarios),
                "passed": sum(s.status == PASSED for s in self.scenarios),
                "failed": sum(s.status == FAILED for s in self.scenarios),
                "errors": sum(s.status == ERROR for s in self.scenarios),
            },
            "scenarios": [s.as_dict() for s in self.scenarios],
            **({"access": self.access} if self.access is not None else {}),
            **({"resources": self.resources} if self.resources is not None else {}),
        }
