"""One applied reference topology and one finished run for the report tests (a real LocalStack)."""

from __future__ import annotations

import io
import json
import os
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import paths
from harness.provision.manifest import Manifest
from harness.run import Driver
from harness.scenario.format.loader import load_scenario
from harness.settings import Settings

REF = paths.REFERENCE_TOPOLOGY

# Two scenarios: one mixing inline and offloaded messages on a fan-out, one direct send that fails.
MIXED = """\
    send: {from: A/us-east-1, topic: orders, count: 3, sizes: [1KiB, 300KiB, 2KiB], attributes: {kind: mixed}}
    expect:
      - {queue: b-eu, within: 10s}
      - {queue: b-ap, within: 10s}
    """
MISSED = """\
    send: {from: A/us-east-1, topic: orders, count: 2, size: 1KiB, attributes: {kind: refund}}
    expect:
      - {queue: c-us, within: 1s}
    """


@dataclass
class FinishedRun:
    manifest: Manifest
    data: dict  # report.json
    files: dict[str, Path]


def scenario(tmp: Path, name: str, body: str):
    path = tmp / f"{name}.scenario.yaml"
    path.write_text(f"name: {name}\ntopology: {REF}\n" + textwrap.dedent(body))
    return load_scenario(path)


@pytest.fixture(scope="package")
def finished_run(reference_run: Manifest, tmp_path_factory: pytest.TempPathFactory) -> FinishedRun:
    """Two scenarios run on the session's reference run, reports written (the run stays applied)."""
    settings = Settings.from_env(os.environ)
    tmp = tmp_path_factory.mktemp("report-run")
    driver = Driver(settings, "localstack", out=io.StringIO(), show_progress=False)
    driver.adopt(reference_run)
    driver.run_all([scenario(tmp, "mixed-carriers", MIXED), scenario(tmp, "missed-filter", MISSED)])
    [finished] = driver.close(reports_dir=tmp / "reports")
    data = json.loads(finished.files["json"].read_text())
    return FinishedRun(reference_run, data, finished.files)

