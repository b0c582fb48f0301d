"""harness.payload takes boto3 clients as inputs: it must not reach into the rest of the harness."""

from __future__ import annotations

import ast
from pathlib import Path

import harness.payload

FORBIDDEN = ("scenario", "report", "topology", "terraform", "manifest", "lifecycle", "render", "targets")


def test_payload_package_imports_nothing_from_scenarios_reports_topology_terraform_or_manifest() -> None:
    package = Path(harness.payload.__file__).parent
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            modules = []
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [f"{node.module}.{a.name}" for a in node.names]
            for module in modules:
                if module.startswith("harness"):
                    assert module.startswith(("harness.payload", "harness.retry", "harness.errors")), (source.name, module)
                assert not any(word in module for word in FORBIDDEN), (source.name, module)
