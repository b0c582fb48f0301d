"""Trend: one run's ``report.json`` against an earlier one (``harness compare OLD NEW``).

Scenarios are matched by name, delivery paths by (scenario name, path label). The comparison lists

- new failures: a scenario that passed before and fails (or errors) now, or that is new and fails;
- fixed scenarios: failed before, pass now;
- latency regressions per delivery path: p50 or p99 up by more than ``ratio`` times *and* by more
  than ``min_ms`` milliseconds, so that noise on fast paths (30 → 50 ms) and small relative
  drifts on slow ones are ignored;
- scenarios and paths present in only one of the two reports (listed, never a regression).

:attr:`Comparison.regressed` is what ``--fail-on-regression`` turns into the exit status;
:func:`comparison_markdown` is the section for ``report.md`` and the CI job summary.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import HarnessError

SCHEMA = "harness-report/2"
SCHEMAS = ("harness-report/1", SCHEMA)  # /1: before objectives and the inconclusive status (a baseline may be one)
METRICS = ("p50", "p99")
FAILING = ("failed", "error", "inconclusive")  # not green


class ReportFormatError(HarnessError):
    """A file given to ``harness compare`` is not a readable ``harness-report/2`` (or /1) document."""


@dataclass(frozen=True)
class StatusChange:
    scenario: str
    old_status: str | None  # None: not in the old report
    new_status: str
    failures: tuple[str, ...] = ()  # the new report's failure messages


@dataclass(frozen=True)
class LatencyChange:
    scenario: str
    path: str  # the path label
    metric: str  # "p50" | "p99"
    old_ms: float
    new_ms: float

    @property
    def factor(self) -> float:
        return self.new_ms / self.old_ms if self.old_ms else float("inf")


@dataclass
class Comparison:
    old_run: str
    new_run: str
    ratio: float
    min_ms: float
    new_failures: list[StatusChange] = field(default_factory=list)
    fixed: list[StatusChange] = field(default_factory=list)
    still_failing: list[StatusChange] = field(default_factory=list)
    regressions: list[LatencyChange] = field(default_factory=list)
    improvements: list[LatencyChange] = field(default_factory=list)
    only_old: list[str] = field(default_factory=list)  # "scenario" or "scenario: path label"
    only_new: list[str] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        """True when something got worse: a new failure or a latency regression."""
        return bool(self.new_failures or self.regressions)


def load_report(path: str | Path) -> dict:
    """Read a ``report.json``; a :class:`ReportFormatError` says what is wrong with the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ReportFormatError(f"{path}: no such report; give the report.json of a finished run (reports/<run-id>/report.json).") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportFormatError(f"{path}: not a readable JSON report ({exc}); give a report.json written by the harness.") from exc
    _check(data, str(path))
    return data


def _check(data: object, where: str) -> None:
    if not isinstance(data, dict) or data.get("schema") not in SCHEMAS:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise ReportFormatError(f"{where}: schema is {found!r}, expected {SCHEMA!r}; compare two report.json files of this harness.")
    if not isinstance(data.get("scenarios"), list):
        raise ReportFormatError(f"{where}: 'scenarios' must be a list; the report is damaged.")


def _paths(scenario: dict) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for p in scenario.get("paths") or []:
        out.setdefault(str(p.get("label", "?")), p)
    return out


def _ms(path: dict, metric: str) -> float | None:
    value = (path.get("latency_ms") or {}).get(metric)
    return float(value) if isinstance(value, (int, float)) else None


def compare(old: dict, new: dict, ratio: float = 1.5, min_ms: float = 20.0) -> Comparison:
    """Compare two report documents (``old`` the baseline, ``new`` the run to judge)."""
    _check(old, "old report")
    _check(new, "new report")
    if ratio < 1.0 or min_ms < 0:
        raise ReportFormatError(f"ratio must be >= 1 and min_ms >= 0 (got ratio={ratio}, min_ms={min_ms}).")
    result = Comparison(str(old.get("run_id", "?")), str(new.get("run_id", "?")), ratio, min_ms)
    before = {str(s.get("name")): s for s in old["scenarios"]}
    after = {str(s.get("name")): s for s in new["scenarios"]}
    result.only_old = [name for name in before if name not in after]
    for name, sc in after.items():
        status = str(sc.get("status"))
        prev = before.get(name)
        old_status = str(prev.get("status")) if prev else None
        change = StatusChange(name, old_status, status, tuple(str(f) for f in sc.get("failures") or ()))
        if prev is None:
            result.only_new.append(name)
        if status in FAILING:
            if old_status in FAILING:
                result.still_failing.append(change)
            else:
                result.new_failures.append(change)
        elif old_status in FAILING:
            result.fixed.append(change)
        if prev is not None:
            _compare_paths(name, _paths(prev), _paths(sc), result)
    return result


def _compare_paths(scenario: str, old: dict[str, dict], new: dict[str, dict], result: Comparison) -> None:
    result.only_old += [f"{scenario}: {label}" for label in old if label not in new]
    result.only_new += [f"{scenario}: {label}" for label in new if label not in old]
    for label, path in new.items():
        if label not in old:
            continue
        for metric in METRICS:
            before, now = _ms(old[label], metric), _ms(path, metric)
            if before is None or now is None:
                continue  # no samples on one side: nothing to compare
            change = LatencyChange(scenario, label, metric, before, now)
            if now > before * result.ratio and now - before > result.min_ms:
                result.regressions.append(change)
            elif before > now * result.ratio and before - now > result.min_ms:
                result.improvements.append(change)


def _latency_rows(changes: list[LatencyChange]) -> list[str]:
    rows = ["| scenario | path | metric | before ms | now ms | × |", "|---|---|---|---:|---:|---:|"]
    rows += [f"| {c.scenario} | {c.path} | {c.metric} | {c.old_ms:.1f} | {c.new_ms:.1f} | {c.factor:.2f} |" for c in changes]
    return rows


def comparison_markdown(c: Comparison) -> str:
    """The comparison as a Markdown section for ``report.md`` and ``$GITHUB_STEP_SUMMARY``."""
    verdict = "**regressed**" if c.regressed else "no regression"
    lines = [
        f"## Compared with run {c.old_run}: {verdict}",
        "",
        f"Latency counts as regressed when p50 or p99 is more than {c.ratio:g}× *and* more than {c.min_ms:g} ms above the "
        "previous run on the same delivery path.",
        "",
    ]
    if c.new_failures:
        lines.append(f"### New failures ({len(c.new_failures)})")
        for s in c.new_failures:
            was = f"was {s.old_status}" if s.old_status else "not in the previous run"
            detail = f": {s.failures[0]}" if s.failures else ""
            lines.append(f"- **{s.scenario}** {s.new_status} ({was}){detail}")
        lines.append("")
    if c.regressions:
        lines += [f"### Latency regressions ({len(c.regressions)})", *_latency_rows(c.regressions), ""]
    if c.fixed:
        lines += [f"### Fixed ({len(c.fixed)})", *[f"- {s.scenario} (was {s.old_status})" for s in c.fixed], ""]
    if c.still_failing:
        lines += [f"### Still failing ({len(c.still_failing)})", *[f"- {s.scenario}" for s in c.still_failing], ""]
    if c.improvements:
        lines += [f"### Faster ({len(c.improvements)})", *_latency_rows(c.improvements), ""]
    if c.only_old or c.only_new:
        lines.append("### Not in both runs")
        lines += [f"- only before: {x}" for x in c.only_old]
        lines += [f"- only now: {x}" for x in c.only_new]
        lines.append("")
    if not (c.new_failures or c.regressions or c.fixed or c.still_failing or c.improvements or c.only_old or c.only_new):
        lines += ["Same results, no latency change above the threshold.", ""]
    return "\n".join(lines)
