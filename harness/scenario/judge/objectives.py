"""Objectives: what a scenario promised, beside what was measured, each met, missed or not observable.

Every objective a scenario states or implies is judged into one :class:`Objective` — its bound, the
measured value, and the result — so every report can open with the verdict and the figures that
justify it (as k6's threshold block does). Two kinds:

- **outcome** objectives are about the system under test: every message delivered within
  ``within``, intact, in order, without forbidden duplicates, latency and per-hop percentiles,
  delivered throughput. A missed one fails the scenario.
- **condition** objectives are about whether the run produced the conditions the scenario asked
  for: the sender kept its requested rate and schedule. A missed one makes the scenario
  ``inconclusive`` — not green, and not a delivery failure either: the figures were measured under
  other conditions than the ones promised.

An objective the target cannot show (a policy the emulator does not enforce, a fault it cannot
inject) is ``not_observable``, with the reason; it is never counted as met, and a scenario with one
is inconclusive too. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harness.scenario.judge import human

MET, MISSED, NOT_OBSERVABLE = "met", "missed", "not_observable"
OUTCOME, CONDITION = "outcome", "condition"
MARK = {MET: "✓", MISSED: "✗", NOT_OBSERVABLE: "–"}


@dataclass(frozen=True)
class Objective:
    """One judged objective. ``bound`` and ``measured`` are human text; ``bound_value`` and
    ``measured_value`` the same figures in ``unit`` (for report.json and comparisons)."""

    what: str  # "delivered", "intact", "latency p99", "throughput", "send rate", "send lag", "hop sns_to_sqs p99", ...
    where: str  # the path's label, or "send topic:orders from A/us-east-1"
    bound: str
    measured: str
    result: str  # MET | MISSED | NOT_OBSERVABLE
    kind: str = OUTCOME  # OUTCOME | CONDITION
    unit: str = ""
    bound_value: float | None = None
    measured_value: float | None = None
    stated: bool = True  # written in the scenario file (False: implied by a default)
    line: int = 0  # where it was written (0: implied, or the file's first line)
    reason: str = ""  # not observable: why

    @property
    def met(self) -> bool:
        return self.result == MET

    @property
    def mark(self) -> str:
        return MARK[self.result]

    @property
    def text(self) -> str:
        """``✗ send rate (send topic:orders from A/us-east-1): 243.8 msg/s, bound ≥ 475.0 msg/s``."""
        tail = f" — {self.reason}" if self.reason else ""
        return f"{self.mark} {self.what} ({self.where}): {self.measured}, bound {self.bound}{tail}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "where": self.where,
            "kind": self.kind,
            "result": self.result,
            "bound": self.bound,
            "measured": self.measured,
            "unit": self.unit,
            "bound_value": self.bound_value,
            "measured_value": self.measured_value,
            "stated": self.stated,
            "line": self.line,
            **({"reason": self.reason} if self.reason else {}),
        }


def at_most(what: str, where: str, measured: float | None, bound: float, unit: str, **kw: Any) -> Objective:
    """``measured ≤ bound`` (latencies, lag, counts); no measurement is not observable."""
    shown = _show(unit)
    if measured is None:
        return Objective(what, where, f"≤ {shown(bound)}", "no samples", NOT_OBSERVABLE, unit=unit, bound_value=bound,
                         reason=kw.pop("reason", "nothing was measured"), **kw)
    kw.pop("reason", None)  # why nothing could be measured: not needed once something was
    result = MET if measured <= bound else MISSED
    return Objective(what, where, f"≤ {shown(bound)}", shown(measured), result, unit=unit, bound_value=bound, measured_value=measured, **kw)


def at_least(what: str, where: str, measured: float | None, bound: float, unit: str, label: str = "", **kw: Any) -> Objective:
    """``measured ≥ bound`` (rates, delivered shares); no measurement is not observable."""
    shown = _show(unit)
    bound_text = f"≥ {shown(bound)}" + (f" ({label})" if label else "")
    if measured is None:
        return Objective(what, where, bound_text, "no samples", NOT_OBSERVABLE, unit=unit, bound_value=bound,
                         reason=kw.pop("reason", "nothing was measured"), **kw)
    kw.pop("reason", None)
    result = MET if measured >= bound else MISSED
    return Objective(what, where, bound_text, shown(measured), result, unit=unit, bound_value=bound, measured_value=measured, **kw)


def _show(unit: str) -> Any:
    if unit == "ms":
        return human.millis
    if unit == "s":
        return human.duration
    if unit == "msg/s":
        return human.rate
    if unit == "%":
        return lambda v: f"{v:.1f} %"
    return lambda v: f"{v:g} {unit}".rstrip()


def worst(objectives: Iterable[Objective]) -> str | None:
    """MISSED if an outcome objective was missed, else MISSED of a condition as ``"condition"``,
    else NOT_OBSERVABLE if one could not be shown, else None (all met)."""
    objectives = list(objectives)
    if any(o.result == MISSED and o.kind == OUTCOME for o in objectives):
        return MISSED
    if any(o.result == MISSED and o.kind == CONDITION for o in objectives):
        return CONDITION
    if any(o.result == NOT_OBSERVABLE for o in objectives):
        return NOT_OBSERVABLE
    return None
