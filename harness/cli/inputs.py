"""The CLI's input files: topology and scenario files validated together, every problem of every
file reported in one go (``file:line: field: message``, one per line), before anything else runs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness.errors import InputFileError, Problem
from harness.provision.manifest import Manifest
from harness.topology.loader import load_topology
from harness.topology.model import Topology


def load_authorised(topology_file: str | Path) -> Topology:
    """The topology file, validated, and refused when its own modules would not authorise what it declares."""
    from harness.access.static import check_topology_access

    topo = load_topology(Path(topology_file))
    check_topology_access(topo)
    return topo


def load_inputs(topology_file: str | None, scenario_files: Sequence[str]) -> tuple[Topology | None, list]:
    """The topology file (if given) and every scenario file, each validated against the topology it
    names; one :class:`InputFileError` with the problems of all of them (each listed once)."""
    from harness.scenario.format.loader import validate_scenario_files

    problems: list[Problem] = []
    topo = None
    if topology_file:
        try:
            topo = load_authorised(topology_file)
        except InputFileError as err:
            problems += err.problems
    scenarios: list = []
    if scenario_files:
        try:
            scenarios = validate_scenario_files([Path(f) for f in scenario_files])
        except InputFileError as err:
            for p in err.problems:  # a file named twice (or a shared topology's problem) is listed once
                if p not in problems:
                    problems.append(p)
    if problems:
        raise InputFileError(problems)
    return topo, scenarios


def _line_of(path: str, key: str) -> int:
    """The line of a top-level ``key:`` in a YAML file (1 when it cannot be found)."""
    try:
        lines = Path(path).read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    return next((i for i, line in enumerate(lines, 1) if line.startswith(f"{key}:")), 1)


def check_same_topology(scenarios: Sequence, manifest: Manifest) -> None:
    """Every scenario must name the topology the run applied; one problem line per scenario that does not."""
    problems = [
        Problem(
            sc.source,
            _line_of(sc.source, "topology"),
            "topology",
            f"names {sc.topology_file}, but run {manifest.run_id} applied {manifest.topology_file}; "
            "apply that topology first (`harness up --topology FILE`) or pick its run with --run-id",
        )
        for sc in scenarios
        if sc.topology_file != manifest.topology_file
    ]
    if problems:
        raise InputFileError(problems)
