"""Stage 6 — reports: a finished :class:`~harness.scenario.judge.result.RunReport` becomes files.

``reports/<run-id>/``: ``report.json`` (schema ``harness-report/1``, in the README), ``junit.xml``
(one testcase per scenario), ``report.html`` (the delivery-path diagram as inline SVG, every
path's latency on one shared axis, a latency plot per path) and ``report.md`` (opening with the
same diagram in Mermaid); each says per path how many messages went inline and how many through
S3 (and which bucket); plus a summary table for the console. Nothing here talks to AWS.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.provision.manifest import Manifest
from harness.report.html import html_report
from harness.report.junit import junit_xml
from harness.report.kind import describe_all
from harness.report.markdown import markdown_report
from harness.report.plots import latency_svg
from harness.report.summary import console_block
from harness.scenario.judge import human
from harness.scenario.judge.result import RunReport

__all__ = ["console_summary", "html_report", "junit_xml", "latency_svg", "markdown_report", "resources_of", "write_reports"]


def resources_of(manifest: Manifest) -> dict[str, dict[str, dict[str, Any]]]:
    """Every entry of the run, kind by kind (where it lives, its physical name; each kind says),
    for ``RunReport.resources``: the diagram places the delivery paths' nodes with it and the
    reports list it."""
    return describe_all(manifest.resources)


def write_reports(report: RunReport, directory: Path) -> dict[str, Path]:
    """Write the four report files of ``report`` into ``directory``; returns them by kind."""
    directory.mkdir(parents=True, exist_ok=True)
    data = report.as_dict()
    out = {
        "json": directory / "report.json",
        "junit": directory / "junit.xml",
        "html": directory / "report.html",
        "markdown": directory / "report.md",
    }
    out["json"].write_text(json.dumps(data, indent=2) + "\n")
    out["junit"].write_text(junit_xml(data))
    out["html"].write_text(html_report(data))
    out["markdown"].write_text(markdown_report(data))
    return out


def console_summary(report: RunReport) -> str:
    """The verdict first (:func:`harness.report.summary.console_block`), then one line per scenario."""
    data = report.as_dict()
    header = f"{'scenario':<28} {'status':<12} {'paths':>5} {'sent':>6} {'recv':>6} {'intact':>6} {'inline':>6} {'viaS3':>6} {'p50':>9} {'p99':>9} {'time':>8}"
    lines = [console_block(data), "", header, "-" * len(header)]
    for sc in data["scenarios"]:
        sent = sum(p["counts"]["sent"] for p in sc["paths"]) if sc["paths"] else sc.get("sent", 0)
        recv = sum(p["counts"]["received"] for p in sc["paths"])
        intact = sum(p["counts"]["intact"] for p in sc["paths"])
        inline = sum(p.get("carried", {}).get("inline", 0) for p in sc["paths"])
        via_s3 = sum(p.get("carried", {}).get("s3", 0) for p in sc["paths"])
        p50 = max((p["latency_ms"]["p50"] or 0 for p in sc["paths"]), default=None)
        p99 = max((p["latency_ms"]["p99"] or 0 for p in sc["paths"]), default=None)
        lines.append(
            f"{sc['name'][:28]:<28} {sc['status']:<12} {len(sc['paths']):>5} {sent:>6} {recv:>6} {intact:>6} {inline:>6} {via_s3:>6} "
            f"{human.millis(p50):>9} {human.millis(p99):>9} {human.duration(sc['duration_s']):>8}"
        )
    return "\n".join(lines)
