"""The verdict first: the block every report opens with (console, report.md, report.html, junit).

Per run: the status and the counts; per scenario (failures first): its status, its description,
each objective with the measured value, the bound and ✓ / ✗ / – (not observable), the send
section (requested against achieved rate, how late the sends went) and its notes. A passed
scenario's objectives are folded into one line in the console (every one is in the files).
Input: report.json's dict; no I/O.
"""

from __future__ import annotations

import html
from typing import Any

from harness.report.faults import fault_lines
from harness.scenario.judge import human

ORDER = {"error": 0, "failed": 1, "inconclusive": 2, "passed": 3}  # worst first
MARK = {"passed": "✓", "failed": "✗", "error": "✗", "inconclusive": "!"}
COLOUR = {"passed": "#1a7f37", "failed": "#cf222e", "error": "#cf222e", "inconclusive": "#9a6700"}
MEANING = {
    "passed": "every objective met",
    "failed": "an expectation or an outcome objective missed",
    "error": "could not run to the end",
    "inconclusive": "the run did not produce the conditions asked for, or an objective is not observable here",
}


def ordered(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The scenarios, worst status first (file order within a status)."""
    return sorted(data["scenarios"], key=lambda sc: ORDER.get(sc["status"], 0))


def headline(data: dict[str, Any]) -> str:
    t = data["totals"]
    parts = [f"{t['passed']} passed"] + [f"{t[k]} {w}" for k, w in (("inconclusive", "inconclusive"), ("failed", "failed"), ("errors", "error"))
                                        if t.get(k)]
    return (f"Run {data['run_id']}: {data['status'].upper()} — " + ", ".join(parts) + f" of {t['scenarios']} scenarios "
            f"({human.duration(data.get('duration_s'))}); {t.get('objectives', 0) - t.get('objectives_missed', 0)} of "
            f"{t.get('objectives', 0)} objectives met")


def objective_line(o: dict[str, Any]) -> str:
    mark = {"met": "✓", "missed": "✗", "not_observable": "–"}[o["result"]]
    kind = " (condition)" if o["kind"] == "condition" else ""
    reason = f" — {o['reason']}" if o.get("reason") else ""
    return f"{mark} {o['what']}{kind} [{o['where']}]: {o['measured']}, bound {o['bound']}{reason}"


def send_lines(sc: dict[str, Any]) -> list[str]:
    """``send: requested 500 msg/s, achieved 243.8 msg/s, up to 1m03s behind schedule (30000 messages in 2m03s)``."""
    send = sc.get("send")
    if not send:
        return []
    sends = send.get("sends") or [send]
    out = []
    for s in sends:
        where = f" {s['via']} from {s['from']}" if "via" in s else ""
        took = s.get("duration_s") or 0.0
        if s.get("requested_rate"):
            worst = (s.get("lag_ms") or {}).get("max")
            text = (f"requested {human.rate(s['requested_rate'])}, achieved {human.rate(s.get('achieved_rate'))}"
                    + (f", up to {human.millis(worst)} behind schedule" if worst is not None else "")
                    + f" ({s['count']} messages in {human.duration(took)})")
        else:
            text = f"{s['count']} messages as fast as possible" + (f", in {human.duration(took)} ({human.rate(s.get('achieved_rate'))})" if took >= 0.01 else "")
        out.append(f"send{where}: {text}")
    return out


def scenario_block(sc: dict[str, Any], fold_passed: bool = True) -> list[str]:
    """Lines for one scenario, plain text."""
    head = f"{MARK.get(sc['status'], '?')} {sc['status']:<12} {sc['name']}" + (f" — {sc['description']}" if sc.get("description") else "")
    lines = [head + f"  ({human.duration(sc.get('duration_s'))})"]
    objectives = sc.get("objectives") or []
    if fold_passed and sc["status"] == "passed":
        lines.append(f"    ✓ all {len(objectives)} objectives met")
    else:
        lines += [f"    {objective_line(o)}" for o in objectives if not (fold_passed and o["result"] == "met")]
        met = sum(o["result"] == "met" for o in objectives)
        if fold_passed and met:
            lines.append(f"    ✓ {met} more objectives met")
        failures = sc.get("failures", [])
        lines += [f"    why: {f}" for f in failures[:10]] + ([f"    … and {len(failures) - 10} more (report.md)"] if len(failures) > 10 else [])
    lines += [f"    {line}" for line in send_lines(sc)]
    req = sc.get("requests")
    if req and req.get("total"):
        lines.append(f"    requests: {req['total']} ({req['empty_receives']} empty receives)")
    lines += [f"    {line}" for line in fault_lines(sc)]
    lines += [f"    note: {n}" for n in sc.get("notes", [])]
    return lines


def console_block(data: dict[str, Any]) -> str:
    lines = [headline(data), ""]
    for sc in ordered(data):
        lines += scenario_block(sc)
    return "\n".join(lines)


def markdown_block(data: dict[str, Any]) -> list[str]:
    """report.md's opening: the headline, a summary table (worst first), then each scenario's
    objectives (a passed scenario's folded in a <details>)."""
    lines = [f"**{headline(data)}**", "", "| | scenario | status | objectives | time |", "|---|---|---|---|---|"]
    for sc in ordered(data):
        objs = sc.get("objectives") or []
        met = sum(o["result"] == "met" for o in objs)
        lines.append(f"| {MARK.get(sc['status'], '?')} | [{sc['name']}](#{_anchor(sc['name'])}) | {sc['status']} | {met}/{len(objs)} met | "
                     f"{human.duration(sc.get('duration_s'))} |")
    lines.append("")
    for sc in ordered(data):
        lines += [f'<a id="{_anchor(sc["name"])}"></a>', "", f"### {MARK.get(sc['status'], '?')} {sc['name']}: {sc['status']}", ""]
        if sc.get("description"):
            lines += [f"_{sc['description']}_", ""]
        rows = ["| | objective | where | measured | bound |", "|---|---|---|---|---|"]
        rows += [f"| {objective_line(o)[0]} | {o['what']}{' (condition)' if o['kind'] == 'condition' else ''} | {o['where']} | "
                 f"{o['measured']} | {o['bound']}{' — ' + o['reason'] if o.get('reason') else ''} |" for o in sc.get("objectives") or []]
        if sc["status"] == "passed" and sc.get("objectives"):
            lines += ["<details><summary>every objective met</summary>", "", *rows, "", "</details>", ""]
        elif sc.get("objectives"):
            lines += [*rows, ""]
        lines += [f"- {line}" for line in send_lines(sc)] + [f"- {line}" for line in fault_lines(sc)]
        lines += [f"- ✗ {f}" for f in sc.get("failures", [])] + [f"- note: {n}" for n in sc.get("notes", [])]
        lines.append("")
    return lines


def _anchor(name: str) -> str:
    return "-".join(name.lower().split())


def html_block(data: dict[str, Any]) -> str:
    """report.html's opening: the headline and a summary table with links, worst first."""
    esc = html.escape
    rows = []
    for sc in ordered(data):
        objs = sc.get("objectives") or []
        missed = [o for o in objs if o["result"] != "met"]
        colour = COLOUR.get(sc["status"], "#57606a")
        rows.append(
            f'<tr><td style="color:{colour};text-align:center">{MARK.get(sc["status"], "?")}</td>'
            f'<td style="text-align:left"><a href="#{esc(sc["name"])}">{esc(sc["name"])}</a></td>'
            f'<td style="color:{colour}" title="{esc(MEANING.get(sc["status"], ""))}">{esc(sc["status"])}</td>'
            f'<td>{len(objs) - len(missed)}/{len(objs)}</td>'
            f'<td style="text-align:left">{"<br>".join(esc(objective_line(o)) for o in missed[:3])}</td>'
            f'<td>{esc(human.duration(sc.get("duration_s")))}</td></tr>'
        )
    return (
        f'<p class="headline" style="font-size:15px"><b>{esc(headline(data))}</b></p>'
        '<table class="summary"><tr><th></th><th>scenario</th><th>status</th><th>objectives met</th><th>not met</th><th>time</th></tr>'
        + "".join(rows) + "</table>"
    )
