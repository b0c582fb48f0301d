"""Client of the iam-simulate oracle (tests/access/oracle/simulate.mjs), a separate Node process.

``@cloud-copilot/iam-simulate`` is AGPL-3.0-or-later: it is installed only under
tests/access/oracle/node_modules (``npm ci`` against the committed lockfile, exact version) and only
ever run as a child process by the tests; the harness neither imports nor ships it.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.access.evaluate import Request

ORACLE_DIR = Path(__file__).parent / "oracle"
SCRIPT = ORACLE_DIR / "simulate.mjs"
MARKER = ORACLE_DIR / "node_modules" / ".package-lock.json"
CALLER_ROLE = "harness-caller"  # a bare account id is simulated as this role of that account


class OracleUnavailable(RuntimeError):
    """node is missing (the only reason the oracle tests skip)."""


@dataclass(frozen=True)
class OracleResult:
    result: str | None  # Allowed | ExplicitlyDenied | ImplicitlyDenied, None on error
    error: str | None
    deciding: list[dict[str, Any]] = field(default_factory=list)  # {policy, sid, index (1-based)}
    ignored_context_keys: list[str] = field(default_factory=list)


def node_binary() -> str:
    node = shutil.which("node")
    if node is None:
        raise OracleUnavailable("node is not on PATH: the iam-simulate oracle (tests/access/oracle) needs Node.js >= 18")
    return node


def ensure_installed(timeout: float = 300) -> None:
    """``npm ci`` into tests/access/oracle/node_modules when it is missing or older than the lockfile.
    Serialised by a file lock, so parallel pytest-xdist workers install once."""
    node_binary()
    with open(ORACLE_DIR / ".install.lock", "w") as lockfile:
        fcntl.flock(lockfile, fcntl.LOCK_EX)
        try:
            _install(timeout)
        finally:
            fcntl.flock(lockfile, fcntl.LOCK_UN)


def _install(timeout: float) -> None:
    lock = ORACLE_DIR / "package-lock.json"
    if MARKER.exists() and MARKER.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("node is installed but npm is not: install npm, then run `make setup` (or `npm ci` in tests/access/oracle)")
    proc = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=ORACLE_DIR, capture_output=True, text=True, timeout=timeout, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"`npm ci` in {ORACLE_DIR} failed (exit {proc.returncode}); is the npm registry reachable?\n{proc.stderr[-2000:]}")


def simulated_principal(request: Request) -> str:
    if request.is_service or request.principal.startswith("arn:"):
        return request.principal
    return f"arn:aws:iam::{request.principal}:role/{CALLER_ROLE}"


def to_case(request: Request, resource_policy: dict | None, identity_policies: list[tuple[str, dict]]) -> dict[str, Any]:
    return {
        "principal": simulated_principal(request),
        "action": request.action,
        "resource": request.resource,
        "resourceAccount": request.owner_account,
        "context": {k: (list(v) if isinstance(v, (list, tuple)) else ("true" if v is True else "false" if v is False else str(v))) for k, v in request.context.items()},
        "resourcePolicy": resource_policy,
        "identityPolicies": [{"name": n, "policy": p} for n, p in identity_policies],
    }


def run_oracle(cases: list[dict[str, Any]], timeout: float = 120) -> list[OracleResult]:
    proc = subprocess.run(
        [node_binary(), str(SCRIPT)], input=json.dumps(cases), cwd=ORACLE_DIR,
        capture_output=True, text=True, timeout=timeout, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the oracle failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    raw = json.loads(proc.stdout)
    return [OracleResult(r["result"], r["error"], r["deciding"], r["ignoredContextKeys"]) for r in raw]
