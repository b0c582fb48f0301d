"""What the scenario tests share: a topology applied for one test module (destroyed after it), a
scenario file written from a YAML body, and one run of it."""

from __future__ import annotations

import io
import os
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.provision import lifecycle
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions
from harness.provision.targets import Target
from harness.scenario.execute.runner import ScenarioRunner
from harness.scenario.format.loader import load_scenario
from harness.scenario.format.model import Scenario
from harness.scenario.judge.result import ScenarioResult
from harness.settings import Settings


@contextmanager
def applied_run(topology: Path, endpoint_url: str) -> Iterator[Manifest]:
    settings = Settings.from_env(os.environ)
    manifest = lifecycle.up(topology, Target("localstack", endpoint_url), settings, out=io.StringIO()).manifest
    try:
        yield manifest
    finally:
        lifecycle.down(manifest.run_id, settings, out=io.StringIO())


def write_scenario(tmp_path: Path, topology: Path, name: str, body: str) -> Scenario:
    path = tmp_path / f"{name}.scenario.yaml"
    path.write_text(f"name: {name}\ntopology: {topology}\n" + textwrap.dedent(body))
    return load_scenario(path)


def run_scenario(applied: Manifest, scenario: Scenario) -> ScenarioResult:
    return ScenarioRunner(applied, Sessions.for_manifest(applied)).run(scenario)
