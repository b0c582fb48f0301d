"""change.md (short enough for a pull-request comment) and change.json (schema ``harness-change/1``,
documented in the README) of one topology change, written to ``reports/<run-id>/``."""

from __future__ import annotations

import json
from pathlib import Path

from harness.change.outcome import ChangeOutcome
from harness.change.plan import summary_lines


def markdown(o: ChangeOutcome) -> str:
    title = f"`{Path(o.base['file']).name}` → `{Path(o.new['file']).name}`"
    lines = [f"## Topology change {title} (run {o.run_id}): **{o.verdict.upper()}**", ""]
    reasons = o.reasons()
    lines += [f"- {r}" for r in reasons] or ["Every hazard acknowledged, no probe loss, every scenario passed."]
    counts = ", ".join(f"{n} {a}" for a, n in o.counts().items())
    lines += ["", f"### Summary ({counts})", ""]
    lines += [f"- `{line}`" for line in summary_lines(o.changes)] or ["- no resource changes"]
    lines += [f"- drift, not this change's (Terraform re-applies it): `{line}`" for line in summary_lines(o.drift)]
    if o.hazards:
        lines += ["", "### Hazards", ""]
        lines += [f"- {'acknowledged' if h.token in o.allowed else '**not acknowledged**'}: {h.subject}: {h.cost} (`--allow {h.token}`)" for h in o.hazards]
    lines += ["", "### Delivery paths", ""]
    diff = o.paths
    lines += [f"- gained: {p.label}" for p in diff.gained]
    lines += [f"- lost: {p.label}" for p in diff.lost]
    lines += [f"- filter {f.direction}: {f.path.label} (`{json.dumps(f.before)}` → `{json.dumps(f.after)}`)" for f in diff.filter_changed]
    if not (diff.gained or diff.lost or diff.filter_changed):
        lines.append(f"- unchanged ({len(diff.kept)} path(s))")
    lines += ["", "### Access", ""]
    lines += [f"- {a.line}" for a in o.access] or ["- unchanged"]
    lines += ["", f"### Probe traffic during the change (apply took {o.apply_seconds:.1f}s)", ""]
    if o.probe:
        lines += ["| path | sent | received | lost | duplicated | corrupted | send errors | longest gap |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for r in o.probe:
            lines.append(
                f"| {r.path.label} | {r.sent} | {r.received} | {r.lost} | {r.duplicated} | {r.corrupted} | {r.send_errors} | {r.longest_gap_s:.2f}s |"
            )
    else:
        lines.append("- not probed" + ("" if o.applied else " (the change was not applied)"))
    lines += [f"- not probed: {u}" for u in o.unprobed]
    lines += ["", "### Scenarios of NEW", ""]
    if o.scenarios_run:
        lines += [f"- {s.status}: {s.name}" + (f" — {s.failures[0]}" if s.failures else "") for s in o.scenarios] or ["- none name NEW"]
    else:
        lines.append("- not run")
    return "\n".join(lines) + "\n"


def write(o: ChangeOutcome, directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    files = {"md": directory / "change.md", "json": directory / "change.json"}
    files["md"].write_text(markdown(o))
    files["json"].write_text(json.dumps(o.as_dict(), indent=2) + "\n")
    return files
