"""The type check of ``make lint`` passes, and what pyproject.toml says is strict really is.

The mypy run is the one ``make lint`` makes (``mypy`` in the repository root: files and flags come from
``[tool.mypy]``), with its incremental cache in ``.mypy_cache/`` (shared with ``make lint``): about 6 s
cold, well under a second when nothing changed. The coverage checks read the configuration through
mypy's own parser, so a module counts as strict exactly when mypy would check it strictly.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from mypy.config_parser import parse_config_file
from mypy.main import define_options
from mypy.options import Options

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "harness"
PYPROJECT = ROOT / "pyproject.toml"

# The packages checked strictly (issue 19, item 4): every module in them, present or future.
STRICT_PACKAGES = (
    "harness.topology",
    "harness.provision",
    "harness.payload",
    "harness.kinds",
    "harness.access",
    "harness.scenario.expectations",
)
# Besides those, each stage's kind registry (a module named ``kind``) wherever it lives.
REGISTRY_MODULE = "kind"
KNOWN_REGISTRIES = {"harness.topology.kind", "harness.provision.kind", "harness.access.kind", "harness.report.kind"}


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def _strict_modules() -> list[str]:
    return [
        m
        for m in _modules()
        if any(m == p or m.startswith(p + ".") for p in STRICT_PACKAGES) or m.rsplit(".", 1)[-1] == REGISTRY_MODULE
    ]


def _options() -> Options:
    """The global options as mypy reads them from pyproject.toml (problems in it fail the test)."""
    options, out, err = Options(), io.StringIO(), io.StringIO()
    parse_config_file(options, lambda: None, str(PYPROJECT), out, err)
    assert not err.getvalue(), f"mypy could not read {PYPROJECT.name}:\n{err.getvalue()}"
    return options


def _strict_assignments() -> list[tuple[str, bool]]:
    """What ``mypy --strict`` sets: (option, value), e.g. ("disallow_untyped_defs", True)."""
    _, _, assignments = define_options()
    return assignments


def test_make_lint_type_check_passes() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"mypy (as `make lint` runs it) failed:\n{proc.stdout}{proc.stderr}"


def test_the_strict_list_covers_every_module_of_the_strict_packages() -> None:
    modules = _strict_modules()
    assert KNOWN_REGISTRIES <= set(modules), "a registry module moved: update KNOWN_REGISTRIES"
    assert len(modules) > 60, modules  # the packages are found at all
    options = _options()
    missing: dict[str, list[str]] = {}
    for module in modules:
        effective = options.clone_for_module(module)
        off = [name for name, value in _strict_assignments() if getattr(effective, name) != value]
        if off:
            missing[module] = off
    assert not missing, (
        "modules of the strict packages that mypy does not check strictly (add them to the strict "
        f"[[tool.mypy.overrides]] of {PYPROJECT.name}): "
        + "; ".join(f"{m}: {', '.join(flags)}" for m, flags in missing.items())
    )


def test_the_rest_of_the_package_is_checked_too() -> None:
    options = _options()
    assert options.files == ["harness"]
    for module in _modules():
        effective = options.clone_for_module(module)
        assert effective.check_untyped_defs, f"{module}: check_untyped_defs is off"
        assert not effective.ignore_errors, f"{module}: its errors are ignored"


def _overrides() -> list[dict[str, Any]]:
    overrides: list[dict[str, Any]] = tomllib.loads(PYPROJECT.read_text())["tool"]["mypy"].get("overrides", [])
    return overrides


def test_no_override_uses_strict_or_silences_harness_modules() -> None:
    for override in _overrides():
        # mypy takes `strict` in an override as the global flag: every module would become strict
        assert "strict" not in override, f"`strict = true` is no per-module option: list the flags instead ({override['module']})"
        modules = override["module"] if isinstance(override["module"], list) else [override["module"]]
        if override.get("ignore_missing_imports") or override.get("ignore_errors"):
            assert not [m for m in modules if m.startswith("harness")], override


@pytest.mark.parametrize("module", ["harness.provision.clients", "harness.kinds.queue.provision", "harness.report.kind"])
def test_a_strict_module_is_checked_with_every_strict_flag(module: str) -> None:
    effective = _options().clone_for_module(module)
    assert effective.disallow_untyped_defs and effective.disallow_any_generics and effective.warn_return_any
    assert not effective.implicit_reexport
