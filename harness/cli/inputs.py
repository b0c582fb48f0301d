"""The CLI's input files: topology and scenario files validated together, every problem of every
file reported in one go (``file:line: field: message``, one per line, each once), before anything
else runs.

A file's kind is read from its name: ``*.topology.yaml`` is a topology, ``*.scenario.yaml`` a
scenario. One given where the other is expected is one line saying where it goes, instead of a
line per field the other format does not know."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import InputFileError, Problem
from harness.provision.manifest import Manifest
from harness.scenario.format.model import Scenario
from harness.topology.loader import load_topology
from harness.topology.model import Topology

TOPOLOGY_SUFFIX = ".topology.yaml"
SCENARIO_SUFFIX = ".scenario.yaml"
KIND_FIELD = "(file)"


def scenario_given_as_topology(topology_file: str | Path) -> Problem | None:
    """A ``*.scenario.yaml`` named where a topology is expected: one line saying so."""
    name = str(topology_file)
    if not name.endswith(SCENARIO_SUFFIX):
        return None
    return Problem(
        name, 1, KIND_FIELD,
        f"this is a scenario file (its name ends in {SCENARIO_SUFFIX}), not a topology; give it without --topology "
        f"(scenario files are positional, e.g. `harness validate {name}`), and --topology the *{TOPOLOGY_SUFFIX} it names",
    )


def topology_given_as_scenario(scenario_file: str | Path, hint: str) -> Problem | None:
    """A ``*.topology.yaml`` named where scenario files are expected: one line saying so."""
    name = str(scenario_file)
    if not name.endswith(TOPOLOGY_SUFFIX):
        return None
    return Problem(name, 1, KIND_FIELD, f"this is a topology file (its name ends in {TOPOLOGY_SUFFIX}), not a scenario; {hint.format(file=name)}")


VALIDATE_HINT = "pass it with --topology {file} (positional files are scenario files)"
RUN_HINT = "apply it with `harness up --topology {file}`; this command takes scenario files"


def load_topology_file(topology_file: str | Path) -> Topology:
    """The topology file, validated (a scenario file given here is one problem line)."""
    wrong = scenario_given_as_topology(topology_file)
    if wrong is not None:
        raise InputFileError([wrong])
    return load_topology(Path(topology_file))


def load_authorised(topology_file: str | Path) -> Topology:
    """The topology file, validated, and refused when its own modules would not authorise what it declares."""
    from harness.access.static import check_topology_access

    topo = load_topology_file(topology_file)
    check_topology_access(topo)
    return topo


@dataclass
class Inputs:
    """What the input files hold: the topology (when given and valid), the scenarios that validate,
    and every problem of every file — errors and warnings — each once."""

    topology: Topology | None = None
    scenarios: list[Scenario] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    topologies: dict[Path, Topology | InputFileError] = field(default_factory=dict)  # every one loaded, by resolved path

    def topology_of(self, scenario: Scenario) -> Topology | None:
        """The topology a valid scenario was validated against."""
        loaded = self.topologies.get(Path(scenario.topology_file).resolve())
        return loaded if isinstance(loaded, Topology) else None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    def add(self, problems: Sequence[Problem]) -> None:
        """Add problems not listed yet: the same file spelled two ways (``t.topology.yaml`` given
        with --topology, and resolved from a scenario naming it) is one file."""
        seen = {_identity(p) for p in self.problems}
        for p in problems:
            if _identity(p) not in seen:
                seen.add(_identity(p))
                self.problems.append(p)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise InputFileError(self.problems)


def _identity(p: Problem) -> tuple[str, int, str, str, str]:
    return (os.path.realpath(p.file), p.line, p.field, p.message, p.level)


def check_inputs(topology_file: str | None, scenario_files: Sequence[str], hint: str = VALIDATE_HINT, preflight: bool = False) -> Inputs:
    """The topology file (if given) and every scenario file, each validated against the topology it
    names; never raises for what the files hold (see :attr:`Inputs.problems`). ``preflight``: also
    what the run's access step would refuse (:mod:`harness.scenario.format.preflight`)."""
    from harness.scenario.format.loader import check_scenario_files

    out = Inputs()
    cache = out.topologies
    wrong = scenario_given_as_topology(topology_file) if topology_file else None
    if wrong is not None:
        out.add([wrong])
    elif topology_file:
        loaded: Topology | InputFileError
        try:
            loaded = out.topology = load_authorised(topology_file)
            out.add(out.topology.warnings)
        except InputFileError as err:
            loaded = err
            out.add(err.problems)
        cache[Path(topology_file).resolve()] = loaded  # a scenario naming it reports the same lines
    files = []
    for name in scenario_files:
        wrong = topology_given_as_scenario(name, hint)
        if wrong is not None:
            out.add([wrong])
        else:
            files.append(Path(name))
    if files:
        scenarios, problems = check_scenario_files(files, cache, preflight)
        out.scenarios = scenarios
        out.add(problems)
    return out


def load_inputs(topology_file: str | None, scenario_files: Sequence[str], hint: str = VALIDATE_HINT) -> tuple[Topology | None, list]:
    """The topology file (if given) and every scenario file, each validated against the topology it
    names; one :class:`InputFileError` with the problems of all of them (each listed once)."""
    inputs = check_inputs(topology_file, scenario_files, hint)
    inputs.raise_if_errors()
    return inputs.topology, inputs.scenarios


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
