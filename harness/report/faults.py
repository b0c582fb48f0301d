"""A scenario's faults in the reports: what was injected, where, how often, what the kit's retries
did, what became of each message they struck (retried, redelivered, dead-lettered, not published,
lost), the payload accounting and the recovery — as text lines (console, report.md) and as an HTML
section; and the fault windows and recovery point as marks on the latency-over-time chart.
Input: report.json's scenario (``faults``, ``payloads``, ``recovery``); no I/O."""

from __future__ import annotations

import html
from typing import Any

from harness.scenario.judge import human

MESSAGES_SHOWN = 50


def _fault_line(f: dict[str, Any]) -> str:
    when = f["when"]
    span = f"from {when['from_s']:g}s" + (f" for {when['for_s']:g}s" if when.get("for_s") is not None else " to the end")
    limits = (f", at most {when['count']}" if when.get("count") else "") + (
        f", probability {when['probability']:g}" if when.get("probability", 1) < 1 else "")
    events = ", ".join(f"{k} {v}" for k, v in sorted(f["events"].items()))
    seen = f"struck {f['fired']} of {f['chances']} chances" if f["family"] != "infrastructure" else ("applied and undone" if f.get("undone_at") else "applied")
    tail = "" if f["observable"] else f" — not observable here: {f.get('reason', '')}"
    undo = f" — UNDO FAILED: {f['undo_error']}" if f.get("undo_error") else ""
    return f"fault {f['kind']} on {f['where']} ({f['what']}; {span}{limits}): {seen}" + (f" ({events})" if events else "") + tail + undo


def fault_lines(sc: dict[str, Any]) -> list[str]:
    """Plain lines: each fault, the retries, what was not published, the payloads, the recovery."""
    out: list[str] = []
    faults = sc.get("faults")
    if faults:
        out += [_fault_line(f) for f in faults["injected"]]
        for op, counts in faults["retries"].items():
            codes = ", ".join(f"{k.removeprefix('code ')} {v}" for k, v in sorted(counts.items()) if k.startswith("code "))
            out.append(f"retries {op}: {counts.get('retry', 0)} retried, {counts.get('gave up', 0)} gave up ({codes})")
        if faults["not_published"]:
            out.append(f"not published (the retries gave up): {faults['not_published']} message(s)")
    payloads = sc.get("payloads")
    if payloads and "objects" in payloads:
        orphaned = payloads.get("orphaned") or []
        out.append(f"payloads s3://{payloads['bucket']}/{payloads['prefix']}: {payloads['objects']} object(s), {payloads.get('pointed', 0)} "
                   f"pointed to by a sent message, {len(orphaned)} orphaned" + (f" ({', '.join(orphaned[:3])})" if orphaned else ""))
    if payloads and payloads.get("dangling"):
        out.append(f"dangling pointers: {', '.join(payloads['dangling'][:3])}")
    rec = sc.get("recovery")
    if rec:
        back = "not back" if rec["recovery_s"] is None else f"back {human.duration(rec['recovery_s'])} after the fault ended"
        out.append(f"recovery {rec['queue']}: latency within {human.duration(rec['latency_bound_s'])} {back}")
    return out


def faults_html(sc: dict[str, Any]) -> str:
    """The scenario's faults section: each fault (a table), the retries and the struck messages."""
    faults = sc.get("faults")
    lines = fault_lines(sc)
    if not lines:
        return ""
    esc = html.escape
    out = ['<h3>Faults</h3>']
    if faults:
        rows = "".join(
            f"<tr><td style='text-align:left'>{esc(f['kind'])}</td><td style='text-align:left'>{esc(f['where'])}</td>"
            f"<td style='text-align:left'>{esc(f['what'])}</td><td>{f['fired']}/{f['chances']}</td>"
            f"<td style='text-align:left'>{esc(', '.join(f'{k} {v}' for k, v in sorted(f['events'].items())))}</td>"
            f"<td style='text-align:left'>{'yes' if f['observable'] else esc('no: ' + f.get('reason', ''))}</td></tr>"
            for f in faults["injected"])
        out.append("<table><tr><th>kind</th><th>where</th><th>what</th><th>struck/chances</th><th>events</th><th>observable</th></tr>"
                   + rows + "</table>")
    out.append("<ul>" + "".join(f"<li>{esc(line)}</li>" for line in lines if not line.startswith("fault ")) + "</ul>")
    messages = (faults or {}).get("messages") or {}
    if messages:
        shown = list(messages.items())[:MESSAGES_SHOWN]
        rows = "".join(f"<tr><td style='text-align:left'><code>{esc(cid)}</code></td><td style='text-align:left'>"
                       f"{esc(', '.join(f'{k} ×{v}' if v > 1 else k for k, v in sorted(ev.items())))}</td></tr>" for cid, ev in shown)
        more = f"<p><small>{len(messages) - len(shown)} more in report.json</small></p>" if len(messages) > len(shown) else ""
        out.append("<details><summary>what happened to each message a fault struck or that was not delivered once</summary>"
                   f"<table><tr><th>message</th><th>what happened</th></tr>{rows}</table>{more}</details>")
    return "".join(out)


def chart_marks(sc: dict[str, Any], queue: str, t0: float) -> list[tuple[str, float, float | None]]:
    """(label, from, to) in seconds from the path timeline's ``t0``: each fault's window, and the
    recovery point of ``queue`` (to None: a line)."""
    marks: list[tuple[str, float, float | None]] = []
    for w in (sc.get("faults") or {}).get("windows") or []:
        if w.get("from") is not None:
            end = w.get("to")
            marks.append((w["kind"], w["from"] - t0, (end - t0) if end is not None else None))
    rec = sc.get("recovery")
    if rec and rec.get("queue") == queue and rec.get("recovered_at") is not None:
        marks.append(("recovered", rec["recovered_at"] - t0, None))
    return marks
