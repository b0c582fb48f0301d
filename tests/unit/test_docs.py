"""The README and docs/ say only what is true of the code beside them.

- every repository path (``harness/...``, ``terraform/...``, ``scenarios/...``, ...) they mention
  exists, every ``harness.x.y`` module (or attribute) imports, every ``make`` target is in the
  Makefile and every ``harness COMMAND`` is a command of the CLI;
- every relative link between the pages resolves, anchors included;
- the README stays a quickstart (at most 250 lines);
- the generated tables (harness/cli/docs.py) are what the code says now;
- every example topology or scenario (a fenced ``yaml`` block with ``name:`` and ``accounts:`` or
  ``topology:``) passes ``harness validate``. A topology example names its file in its opening
  comment lines (``# shop.topology.yaml: ...``), so that scenario examples can name it.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from harness.cli import docs as generated

ROOT = Path(__file__).resolve().parents[2]
README_LIMIT = 250
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "benchmarks").glob("*.md")])
TOP_DIRS = ("harness", "terraform", "scenarios", "tests", "benchmarks", "requirements", "docs", ".github", ".ci")
PATH_RE = re.compile(r"(?<![\w./$-])(?:" + "|".join(re.escape(d) for d in TOP_DIRS) + r")/[\w./*<>…-]*")
MODULE_RE = re.compile(r"(?<![\w./-])harness(?:\.[a-z_][a-z0-9_]*)+")
MAKE_RE = re.compile(r"(?:^|[\s;&|(])make[ \t]+([A-Za-z][\w.-]*)")
COMMAND_RE = re.compile(r"(?:^|[\s;&|(/])harness[ \t]+([a-z][a-z0-9-]*)")
LINK_RE = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE_RE = re.compile(r"^(```+)(\w*)[^\n]*\n(.*?)^\1\s*$", re.M | re.S)
CODE_SPAN_RE = re.compile(r"(`+)(.+?)\1", re.S)


def rel(page: Path) -> str:
    return str(page.relative_to(ROOT))


@dataclass(frozen=True)
class Block:
    page: Path
    lang: str
    text: str


@cache
def blocks(page: Path) -> tuple[Block, ...]:
    return tuple(Block(page, m.group(2), m.group(3)) for m in FENCE_RE.finditer(page.read_text()))


@cache
def prose(page: Path) -> str:
    """The page without its fenced blocks."""
    return FENCE_RE.sub("", page.read_text())


@cache
def code(page: Path) -> str:
    """Everything written as code on the page: fenced blocks and inline code spans."""
    spans = [m.group(2) for m in CODE_SPAN_RE.finditer(prose(page))]
    return "\n".join([*(b.text for b in blocks(page)), *spans])


def _mentions(pattern: re.Pattern[str], text_of, group: int = 0) -> list[tuple[str, str]]:
    return sorted({(rel(page), m.group(group)) for page in PAGES for m in pattern.finditer(text_of(page))})


def test_the_readme_is_a_quickstart() -> None:
    lines = len((ROOT / "README.md").read_text().splitlines())
    assert lines <= README_LIMIT, f"README.md has {lines} lines; keep it at most {README_LIMIT} and move the rest into docs/"
    assert "make e2e" in (ROOT / "README.md").read_text() and "make test" in (ROOT / "README.md").read_text()


def test_every_repository_path_mentioned_exists() -> None:
    missing = []
    for page, raw in _mentions(PATH_RE, lambda p: p.read_text()):
        path = raw.rstrip(".,:;)")
        if "<" in path or "…" in path:
            continue  # a pattern (reports/<run-id>/, hx-…), not a path
        found = list(ROOT.glob(path.rstrip("/"))) if "*" in path else [ROOT / path] if (ROOT / path).exists() else []
        if not found:
            missing.append(f"{page}: {path}")
    assert not missing, "paths that do not exist (moved? fix the page):\n" + "\n".join(missing)


def _resolves(name: str) -> bool:
    """Whether ``name`` is a module, or a top-level name of one (harness.cli.help.ENVIRONMENT). Found
    without importing it: some modules must not be imported into a test process (the load agent
    patches the standard library with gevent)."""
    parts = name.split(".")
    spec = importlib.util.find_spec(parts[0])
    found = 1
    while spec is not None and found < len(parts) and spec.submodule_search_locations is not None:
        child = importlib.util.find_spec(".".join(parts[: found + 1]))  # imports the parent package only
        if child is None:
            break
        spec, found = child, found + 1
    if spec is None or spec.origin is None:
        return False
    rest = parts[found:]
    return not rest or rest[0] in _top_level_names(Path(spec.origin))


def _top_level_names(source: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(source.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def test_every_module_name_mentioned_imports() -> None:
    missing = [f"{page}: {name}" for page, name in _mentions(MODULE_RE, lambda p: p.read_text()) if not _resolves(name)]
    assert not missing, "module names that do not import (moved? fix the page):\n" + "\n".join(missing)


def _make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return {m.group(1) for m in re.finditer(r"^([A-Za-z][\w.-]*)\s*:(?!=)", text, re.M)}


def test_every_make_target_mentioned_exists() -> None:
    targets = _make_targets()
    assert {"e2e", "test", "setup"} <= targets
    missing = [f"{page}: make {t}" for page, t in _mentions(MAKE_RE, code, 1) if t not in targets]
    assert not missing, "make targets the Makefile does not have:\n" + "\n".join(missing)


def test_every_harness_command_mentioned_exists() -> None:
    commands = set(generated._subparsers(generated.build_parser()))
    missing = [f"{page}: harness {c}" for page, c in _mentions(COMMAND_RE, code, 1) if c not in commands]
    assert not missing, f"commands the CLI does not have ({', '.join(sorted(commands))}):\n" + "\n".join(missing)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@cache
def anchors(page: Path) -> frozenset[str]:
    seen: dict[str, int] = {}
    out = set()
    for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", prose(page), re.M):
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return frozenset(out)


def test_every_relative_link_resolves() -> None:
    broken = []
    for page in PAGES:
        for target in LINK_RE.findall(prose(page)):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):
                continue  # https:, mailto:
            file_part, _, anchor = target.partition("#")
            dest = (page.parent / file_part).resolve() if file_part else page
            if not dest.exists():
                broken.append(f"{rel(page)}: {target}: no such file")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                broken.append(f"{rel(page)}: {target}: no heading #{anchor} in {dest.relative_to(ROOT)}")
    assert not broken, "\n".join(broken)


def test_the_generated_tables_are_what_the_code_says() -> None:
    assert not generated.drifted(), "run `.venv/bin/python -m harness.cli.docs --write`:\n" + "\n".join(generated.drifted())


def test_a_drifted_table_is_caught(tmp_path: Path) -> None:
    """The check above can fail: a hand-edited row, and a page without its markers, are reported."""
    for page, _ in generated.BLOCKS.values():
        (tmp_path / page).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / page).write_text((ROOT / page).read_text())
    generated.write(tmp_path)  # fresh tables, whatever the committed ones say
    assert generated.drifted(tmp_path) == []
    cli = tmp_path / "docs" / "cli.md"
    cli.write_text(cli.read_text().replace("(default: 2)", "(default: 3)", 1))
    env = tmp_path / "docs" / "environment.md"
    env.write_text(env.read_text().replace("<!-- END GENERATED: environment -->", ""))
    assert [line.split(":")[0:2] for line in generated.drifted(tmp_path)] == [["docs/cli.md", " cli"], ["docs/environment.md", " environment"]]
    with pytest.raises(ValueError):
        generated.fill(env.read_text(), "environment", "")


def _examples() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """Topology and scenario examples of every page: file name → (where, text)."""
    topologies: dict[str, tuple[str, str]] = {}
    scenarios: dict[str, tuple[str, str]] = {}
    for page in PAGES:
        for i, block in enumerate(b for b in blocks(page) if b.lang in ("yaml", "yml")):
            if not re.search(r"^name:", block.text, re.M):
                continue
            where = f"{rel(page)} (yaml block {i + 1})"
            opening = "\n".join(re.match(r"(?:\s*#[^\n]*\n)*", block.text).group(0).splitlines())  # type: ignore[union-attr]
            if re.search(r"^accounts:", block.text, re.M):
                named = re.search(r"([\w.-]+\.topology\.yaml)", opening)
                assert named, f"{where}: a topology example names its file in its opening comment, e.g. # shop.topology.yaml: ..."
                table, name = topologies, named.group(1)
            elif re.search(r"^topology:", block.text, re.M):
                named = re.search(r"([\w.-]+\.scenario\.yaml)", opening)
                table, name = scenarios, named.group(1) if named else f"{page.stem.lower()}-{i + 1}.scenario.yaml"
            else:
                continue
            if name in table and table[name][1] != block.text:
                pytest.fail(f"{where}: {name} differs from the example of the same name in {table[name][0]}")
            table[name] = (where, block.text)
    return topologies, scenarios


def _validate(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", "validate", *args], cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_every_example_topology_and_scenario_validates(tmp_path: Path) -> None:
    topologies, scenarios = _examples()
    assert topologies and scenarios, "the README's first topology and scenario are examples too"
    for name, (_, text) in {**topologies, **scenarios}.items():
        (tmp_path / name).write_text(text)
    problems = []
    for name, (where, _) in topologies.items():
        done = _validate(tmp_path, "--topology", name)
        if done.returncode:
            problems.append(f"{where}: {name}:\n{done.stderr}")
    done = _validate(tmp_path, *scenarios)
    if done.returncode:
        where = {name: w for name, (w, _) in scenarios.items()}
        problems.append("\n".join(f"{where.get(line.split(':')[0], '?')}: {line}" for line in done.stderr.splitlines()))
    assert not problems, "\n".join(problems)
