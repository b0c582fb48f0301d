"""A load run's reports: the kit's report files (:func:`harness.report.write_reports`), plus the run's
``load`` section in report.json and an achieved-rate-over-time plot and worker table in report.html."""

from __future__ import annotations

import html
import json
from pathlib import Path

from harness.load.judge import LoadOutcome
from harness.provision.manifest import Manifest
from harness.report import resources_of, write_reports
from harness.scenario.judge.result import RunReport


def rate_svg(rate: dict, width: int = 640, height: int = 200) -> str:
    """Sent and delivered messages per second over the run, with the requested rate as a line."""
    sent, delivered = rate.get("sent", []), rate.get("delivered", [])
    n = max(len(sent), len(delivered), 1)
    top = max(sent + delivered + [rate.get("requested_rate") or 0, 1])
    pad_l, pad_b, pad_t, pad_r = 44, 28, 10, 80
    pw, ph = width - pad_l - pad_r, height - pad_t - pad_b

    def x(i: float) -> float:
        return pad_l + i / max(n - 1, 1) * pw

    def y(v: float) -> float:
        return pad_t + (1 - v / top) * ph

    def line(values: list[int], colour: str) -> str:
        pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        return f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{pts}"/>'

    req = rate.get("requested_rate") or 0
    interval = rate.get("interval_s", 1.0)
    axis = "".join(f'<text x="{x((n - 1) * t):.1f}" y="{height - 8}" font-size="10" text-anchor="middle">'
                   f'{(n - 1) * t * interval:.3g}s</text>' for t in (0, 0.25, 0.5, 0.75, 1))
    ticks = "".join(f'<text x="{pad_l - 4}" y="{y(top * f) + 4:.1f}" font-size="10" text-anchor="end">{top * f:.0f}</text>'
                    for f in (0, 0.5, 1))
    legend = "".join(f'<text x="{width - pad_r + 6}" y="{pad_t + 12 + 14 * k}" font-size="10" fill="{c}">{label}</text>'
                     for k, (c, label) in enumerate((("#1f6feb", "sent/s"), ("#1a7f37", "delivered/s"), ("#999", "requested"))))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="achieved rate over time">{axis}{ticks}{legend}'
            f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y(req):.1f}" y2="{y(req):.1f}" stroke="#999" stroke-dasharray="4 3"/>'
            f'{line(sent, "#1f6feb")}{line(delivered, "#1a7f37")}</svg>')


def load_html(section: dict) -> str:
    esc = html.escape
    share = section.get("lost_share", {})
    rows = "".join(
        f"<tr><td>{w['index']}</td><td>{w['pid']}</td><td>{esc(str(w['host']))}</td><td>{w['sent']}</td>"
        f"<td>{w['deliveries']}</td><td>{esc(w['gone'] or 'reported to the end')}</td></tr>"
        for w in section.get("workers", []))
    lost = (f"<p>lost share of workers {share['workers']}: {share['unsent']} never sent, {share['unaccounted']} "
            f"unaccounted, {share['rebuilt']} rebuilt from deliveries (not message loss)</p>" if share.get("workers") else "")
    return (f'<h2 id="load">Load: {len(section.get("workers", []))} workers'
            f'{" (interrupted)" if section.get("interrupted") else ""}</h2>'
            f"<p>achieved rate over time (all streams)</p>{rate_svg(section.get('rate_over_time', {}))}"
            "<table><tr><th>worker</th><th>pid</th><th>host</th><th>sent</th><th>deliveries</th><th>status</th></tr>"
            f"{rows}</table>{lost}")


def write_load_reports(manifest: Manifest, outcome: LoadOutcome, directory: Path, started_at: float,
                       finished_at: float) -> dict[str, Path]:
    """report.json / junit.xml / report.html / report.md as for scenario runs, plus the load section."""
    report = RunReport(manifest.run_id, manifest.target, manifest.endpoint_url, manifest.topology,
                       started_at=started_at, finished_at=finished_at, scenarios=list(outcome.results),
                       resources=resources_of(manifest))  # places the nodes of report.md's diagram
    files = write_reports(report, directory)
    data = json.loads(files["json"].read_text())
    data["load"] = outcome.section
    files["json"].write_text(json.dumps(data, indent=2) + "\n")
    page = files["html"].read_text()
    files["html"].write_text(page.replace("</body>", load_html(outcome.section) + "\n</body>", 1))
    return files
