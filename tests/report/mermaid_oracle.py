"""Client of the Mermaid oracle (tests/report/mermaid/parse.mjs): mermaid's own parser, run in Node
under jsdom (no browser), installed only under tests/report/mermaid/node_modules (``npm ci`` against
the committed lockfile). The harness neither imports nor ships it."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ORACLE_DIR = Path(__file__).parent / "mermaid"
MARKER = ORACLE_DIR / "node_modules" / ".package-lock.json"


def _install(timeout: float = 300) -> None:
    with open(ORACLE_DIR / ".install.lock", "w") as lockfile:
        fcntl.flock(lockfile, fcntl.LOCK_EX)
        try:
            if MARKER.exists() and MARKER.stat().st_mtime >= (ORACLE_DIR / "package-lock.json").stat().st_mtime:
                return
            npm = shutil.which("npm")
            if npm is None:
                raise RuntimeError("node is installed but npm is not: install npm (or `npm ci` in tests/report/mermaid)")
            proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ORACLE_DIR,
                                  capture_output=True, text=True, timeout=timeout, check=False)
            if proc.returncode != 0:
                raise RuntimeError(f"`npm ci` in {ORACLE_DIR} failed (exit {proc.returncode}); is the npm registry reachable?\n{proc.stderr[-2000:]}")
        finally:
            fcntl.flock(lockfile, fcntl.LOCK_UN)


def parse(diagrams: list[str]) -> list[dict]:
    """mermaid.parse() of each diagram: ``{"ok": True, "type": …}`` or ``{"ok": False, "error": …}``."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: the Mermaid oracle (tests/report/mermaid) needs Node.js >= 18")
    _install()
    proc = subprocess.run([node, str(ORACLE_DIR / "parse.mjs")], input=json.dumps(diagrams), capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)
