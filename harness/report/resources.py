"""The run's resources, kind by kind, as report.md and report.html list them (from report.json's
``resources``: each kind describes its own entries, :mod:`harness.report.kind`)."""

from __future__ import annotations

import html
from typing import Any


def _columns(entries: dict[str, dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(k for e in entries.values() for k in e))


def resources_markdown(data: dict[str, Any]) -> list[str]:
    groups = {g: e for g, e in (data.get("resources") or {}).items() if e}
    if not groups:
        return []
    lines = ["", "## Resources", ""]
    for group, entries in groups.items():
        cols = _columns(entries)
        lines += [f"**{group}**", "", "| name | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
        lines += [f"| {name} | " + " | ".join(str(e.get(c, "")) for c in cols) + " |" for name, e in entries.items()]
        lines.append("")
    return lines


def resources_html(data: dict[str, Any]) -> str:
    groups = {g: e for g, e in (data.get("resources") or {}).items() if e}
    if not groups:
        return ""
    esc = html.escape
    parts = ['<h2 id="resources">Resources</h2>']
    for group, entries in groups.items():
        cols = _columns(entries)
        head = "".join(f"<th>{esc(c)}</th>" for c in ["name", *cols])
        rows = "".join(
            "<tr>" + f"<td>{esc(name)}</td>" + "".join(f"<td>{esc(str(e.get(c, '')))}</td>" for c in cols) + "</tr>"
            for name, e in entries.items()
        )
        parts.append(f"<h3>{esc(group)}</h3><div style=\"overflow-x:auto\"><table><tr>{head}</tr>{rows}</table></div>")
    return "".join(parts)
