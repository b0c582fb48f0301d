"""The topology-change workflow keeps what it exists for (actionlint runs on it in
tests/unit/test_workflows.py): pull requests touching topologies or modules run `harness accept`,
and the verdict reaches the job summary and the artifacts even when the acceptance fails."""

from __future__ import annotations

import yaml

from harness import paths

WORKFLOW = paths.REPO_ROOT / ".github" / "workflows" / "topology-change.yml"


def test_pull_requests_touching_topologies_or_modules_run_harness_accept() -> None:
    wf = yaml.safe_load(WORKFLOW.read_text())
    trigger = wf[True]["pull_request"]  # YAML 1.1 reads the key `on` as True
    assert "scenarios/*.topology.yaml" in trigger["paths"] and "terraform/**" in trigger["paths"]
    assert {"labeled", "unlabeled"} <= set(trigger["types"]), "an allow: label must re-run the acceptance"
    steps = [s for job in wf["jobs"].values() for s in job["steps"]]
    accept = next(s for s in steps if "harness accept" in str(s.get("run", "")))
    assert 'git show "origin/${BASE_REF}:$new"' in accept["run"] and "--allow" in accept["run"]
    summary = next(s for s in steps if "GITHUB_STEP_SUMMARY" in str(s.get("run", "")))
    assert summary["if"] == "always()" and "change.md" in summary["run"]
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "reports/"
    checkout = next(s for s in steps if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0, "the base branch's topology is read with git show"
