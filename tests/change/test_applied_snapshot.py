"""``harness change`` judges BASE as it was applied (the run's snapshot), not its file as it is now:
an edit of BASE's file after ``up`` is said, and changes nothing in what the change compares."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from harness import paths
from harness.provision import lifecycle
from harness.provision.targets import Target
from harness.run import ChangeOptions, change_run
from harness.settings import Settings

pytestmark = pytest.mark.localstack

CHANGES = paths.SCENARIOS_DIR / "changes"


def test_a_change_compares_the_applied_snapshot_not_the_edited_file(endpoint_url: str, settings: Settings, tmp_path: Path) -> None:
    base = tmp_path / "base.topology.yaml"
    shutil.copy(CHANGES / "base.topology.yaml", base)
    settings = settings.replace(reports_dir=tmp_path / "reports")
    manifest = lifecycle.up(base, Target("localstack", endpoint_url), settings, out=io.StringIO()).manifest
    try:
        # After `up`, someone drops b-eu's subscription from BASE's file: read from the file,
        # NEW (which keeps it) would seem to gain the path A → b-eu.
        base.write_text(base.read_text().replace("  - {topic: orders, queue: b-eu, raw_delivery: true}\n", ""))
        out = io.StringIO()
        change_run(settings, manifest, CHANGES / "tighten-filter.topology.yaml", CHANGES, ChangeOptions(frozenset(), plan_only=True), out)
        report = json.loads((settings.reports_dir / manifest.run_id / "change.json").read_text())
        assert report["paths"]["gained"] == [], report["paths"]
        assert [p["direction"] for p in report["paths"]["filter_changed"]] == ["narrowed"]
        assert f"{base} has changed since run {manifest.run_id} applied it" in out.getvalue()
    finally:
        lifecycle.down(manifest.run_id, settings, out=io.StringIO())
