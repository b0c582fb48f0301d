"""``report.md``, for pull-request comments and job summaries: the verdict first (a summary table,
then each scenario's objectives, send figures, failures and notes), the run's metadata, a Mermaid
diagram of the delivery paths (GitHub renders it), the per-path table, access and resources."""

from __future__ import annotations

from harness.report.access import access_markdown
from harness.report.diagram import mermaid_markdown
from harness.report.plots import carried, requests_text
from harness.report.resources import resources_markdown
from harness.report.summary import markdown_block
from harness.scenario.judge import human


def hops(path: dict) -> str:
    """``sns_to_invoke 1.68 s / 2.23 s, function_duration 200 ms / 515 ms`` (server timestamps)."""
    return ", ".join(f"{hop} {human.millis(h.get('p50'))} / {human.millis(h.get('p99'))}" for hop, h in (path.get("hops_ms") or {}).items())


def markdown_report(data: dict) -> str:
    meta = data.get("meta") or {}
    lines = [f"# Run {data['run_id']}: {data['status']}", ""]
    lines += markdown_block(data)
    lines += ["## Run", "", " · ".join(f"{k} `{v}`" for k, v in (("target", data["target"]), ("topology", data["topology"]), *meta.items()) if v), ""]
    lines += ["## Delivery paths", ""]
    lines += mermaid_markdown(data)
    lines += ["| scenario | status | path | sent | received | intact | missing | dup | late | delivered | p50 | p99 | max | per hop p50 / p99 | carried | requests |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for sc in data["scenarios"]:
        for p in sc["paths"] or [{"label": "–", "counts": {}, "latency_ms": {}}]:
            c, lat = p["counts"], p["latency_ms"]
            lines.append(
                f"| {sc['name']} | {sc['status']} | {p['label']} | {c.get('sent', '')} | {c.get('received', '')} | "
                f"{c.get('intact', '')} | {c.get('missing', '')} | {c.get('duplicate', '')} | {c.get('late', '')} | "
                f"{human.rate(p.get('delivered_rate'))} | {human.millis(lat.get('p50'))} | {human.millis(lat.get('p99'))} | "
                f"{human.millis(lat.get('max'))} | {hops(p)} | {carried(p)} | {requests_text(p)} |"
            )
    lines += access_markdown(data)
    lines += resources_markdown(data)
    return "\n".join(lines) + "\n"
