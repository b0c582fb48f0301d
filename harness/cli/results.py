"""What ``validate``, ``cost``, ``runs``, ``compare`` and ``access`` hand to ``--output json`` (and
the text lines ``validate`` prints): plain data shaped from the stages' results, one function per
command, so the command functions in :mod:`harness.cli` stay a few lines each."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from harness import kinds
from harness.cli.inputs import Inputs
from harness.provision.manifest import Manifest
from harness.provision.payload_expiry import expiry_lines
from harness.scenario.format.model import Scenario
from harness.scenario.format.routes import SendRoute, send_routes
from harness.topology.model import Topology


def topology_summary(topo: Topology) -> dict[str, Any]:
    """The file, the name and how many accounts and entries of every registered kind it declares."""
    counts = {kind.group: len(topo.of(kind.group)) for kind in kinds.kinds()}
    return {"file": topo.source, "name": topo.name, "accounts": len(topo.accounts), **counts}


def topology_line(topo: Topology) -> str:
    s = topology_summary(topo)
    parts = [f"{s['accounts']} account{'s' if s['accounts'] != 1 else ''}"]
    parts += [f"{s[k.group]} {k.name if s[k.group] == 1 else k.group}" for k in kinds.kinds() if s[k.group]]
    return f"{topo.source}: ok — topology '{topo.name}': " + ", ".join(parts)


def routes_of(inputs: Inputs, scenario: Scenario) -> list[SendRoute]:
    topo = inputs.topology_of(scenario)
    return send_routes(scenario, topo) if topo is not None else []


def validate_lines(inputs: Inputs) -> list[str]:
    """``file: ok — …`` per valid file; under each scenario, a line per send saying what goes through S3."""
    lines = [topology_line(inputs.topology)] if inputs.topology is not None else []
    if inputs.topology is not None:  # whether each payload bucket expires its objects (docs/faults.md)
        lines += [f"  {line}" for line in expiry_lines(inputs.topology)]
    for sc in inputs.scenarios:
        lines.append(f"{sc.source}: ok — scenario '{sc.name}' against {sc.topology_file}")
        lines += [f"  {route.line()}" for route in routes_of(inputs, sc)]
    return lines


def validate_data(inputs: Inputs) -> dict[str, Any]:
    return {
        "topology": topology_summary(inputs.topology) if inputs.topology is not None else None,
        "scenarios": [
            {"file": sc.source, "name": sc.name, "topology": sc.topology_file, "sends": [r.as_dict() for r in routes_of(inputs, sc)]}
            for sc in inputs.scenarios
        ],
    }


def cost_data(estimates: Sequence[Any], limit: float, as_of: str) -> dict[str, Any]:
    total = sum(e.usd for e in estimates)
    rows = [
        {
            "scenario": e.scenario, "file": e.file, "messages": e.messages, "requests": e.requests,
            "sns_requests": e.sns_requests, "sqs_requests": e.sqs_requests, "s3_puts": e.s3_puts, "s3_gets": e.s3_gets,
            "s3_bytes": e.s3_bytes, "inter_region_bytes": e.inter_region_bytes, "egress_bytes": e.egress_bytes, "usd": e.usd,
            "items": [dataclasses.asdict(i) for i in e.items],
        }
        for e in estimates
    ]
    return {"estimates": rows, "total_usd": total, "max_cost_usd": limit, "within_limit": total <= limit, "prices_as_of": as_of}


def runs_data(runs: Iterable[Any]) -> dict[str, Any]:
    return {
        "runs": [
            {"run_id": m.run_id, "status": m.status, "target": m.target, "topology": m.topology,
             "topology_file": m.topology_file, "created_at": m.created_at}
            for m in runs
        ]
    }


def compare_data(result: Any) -> dict[str, Any]:
    return {**dataclasses.asdict(result), "regressed": result.regressed}


def as_path(value: str) -> Path | None:
    """``-`` is stdout (None); anything else a file."""
    return None if value == "-" else Path(value)


def expiry_text(topology: Topology | None, manifest: Manifest | None) -> str:
    """Whether each payload bucket has an expiry rule: as the topology says, or as read back now."""
    if manifest is None:
        return "\n".join(expiry_lines(topology)) if topology is not None and topology.buckets else "no payload buckets"
    from harness.provision.payload_expiry import applied_expiry
    from harness.provision.sessions import Sessions

    found = applied_expiry(manifest, Sessions.for_manifest(manifest))
    return "\n".join(f"bucket {name}: " + (f"payload objects expire {days} day(s) after upload (read back)" if days else
                     "no expiry rule (read back): a payload no message points to stays until the run is destroyed")
                     for name, days in found.items()) or "no payload buckets"
