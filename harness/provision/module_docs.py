"""The tables of the Terraform READMEs, generated from the sources, as terraform-docs writes them.

Each directory under ``terraform/modules/`` and ``terraform/examples/``, ``terraform/bootstrap/`` and each
of its modules has a README whose part
between ``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->`` is generated here from its ``*.tf``
files: requirements (``versions.tf``), module calls, resources and data sources, inputs (every
``variable``: its description, type, default, whether it is required) and outputs. The prose
outside the markers is the author's. Descriptions live in ``variables.tf`` / ``outputs.tf``, so
``terraform plan``, editors and the README all show the same text.

terraform-docs itself is not installable from the registries this project reaches (neither PyPI,
npm nor Debian has it), so the HCL is read with python-hcl2 and the tables follow terraform-docs'
``markdown table`` layout.

    .venv/bin/python -m harness.provision.module_docs            # check: exit 1 and a diff when stale
    .venv/bin/python -m harness.provision.module_docs --write    # regenerate every README's tables
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions
from lark.exceptions import LarkError

from harness import paths
from harness.errors import HarnessError

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
BOOTSTRAP_DIR = paths.REPO_ROOT / "terraform" / "bootstrap"
DOCUMENTED_ROOTS = (paths.MODULES_DIR, paths.REPO_ROOT / "terraform" / "examples", BOOTSTRAP_DIR / "modules")
DOCUMENTED_DIRECTORIES = (BOOTSTRAP_DIR,)  # documented themselves, not their subdirectories
WRITE_HINT = ".venv/bin/python -m harness.provision.module_docs --write"

_OPTIONS = SerializationOptions(with_comments=False, explicit_blocks=False, preserve_heredocs=False)
_REQUIRED = object()  # the default of a variable without one


class DocsError(HarnessError):
    """A README or a Terraform file that the tables cannot be generated from."""


@dataclass(frozen=True)
class Variable:
    name: str
    description: str
    type: str
    default: Any  # _REQUIRED when the variable has no default

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED


@dataclass(frozen=True)
class Output:
    name: str
    description: str
    sensitive: bool = False


@dataclass(frozen=True)
class ModuleDoc:
    """What the generated part of one README shows."""

    requirements: list[tuple[str, str]]  # (name, version constraint): terraform first
    module_calls: list[tuple[str, str]]  # (name, source)
    resources: list[tuple[str, str]]  # (TYPE.NAME, "resource" | "data source")
    variables: list[Variable]
    outputs: list[Output]


# -- reading HCL ---------------------------------------------------------------------------------
def load_hcl(path: Path) -> dict[str, Any]:
    """One ``.tf`` file as python-hcl2 reads it, with string literals decoded and labels unquoted.

    Expressions stay as python-hcl2 writes them (``"${var.x}"``); a literal ``"a \\"b\\""`` becomes
    ``a "b"``.
    """
    try:
        with path.open() as handle:
            parsed: dict[str, Any] = _decode(hcl2.load(handle, serialization_options=_OPTIONS))
    except (OSError, ValueError, LarkError) as exc:
        raise DocsError(f"{path}: cannot be read as HCL: {exc}") from exc
    return parsed


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        return {_decode(key): _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        body = value[1:-1]
        try:  # HCL's escapes are JSON's (\n, \", \\, \uNNNN), plus $${ and %%{ for a literal ${ and %{
            return json.loads(f'"{body}"', strict=False).replace("$${", "${").replace("%%{", "%{")
        except ValueError:  # a template whose interpolations hold quoted strings: kept as written
            return body
    return value


def _expression(value: Any) -> str:
    """A type or other expression as written (python-hcl2 wraps them in ``${...}``)."""
    text = str(value)
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def _blocks(files: list[dict[str, Any]], kind: str) -> list[tuple[str, dict[str, Any]]]:
    """``(label, body)`` of every ``kind`` block (one label) across ``files``, in file order."""
    return [(label, body) for parsed in files for block in parsed.get(kind, []) for label, body in block.items()]


def read_module(directory: Path) -> ModuleDoc:
    """The requirements, calls, resources, inputs and outputs of the module in ``directory``."""
    files = [load_hcl(path) for path in sorted(directory.glob("*.tf"))]
    requirements: list[tuple[str, str]] = []
    providers: list[tuple[str, str]] = []
    for parsed in files:
        for settings in parsed.get("terraform", []):
            if "required_version" in settings:
                requirements.append(("terraform", settings["required_version"]))
            for block in settings.get("required_providers", []):
                for name, spec in block.items():
                    providers.append((name, spec.get("version", "") if isinstance(spec, dict) else str(spec)))
    resources = [(f"{rtype}.{name}", "resource") for rtype, named in _blocks(files, "resource") for name in named]
    resources += [(f"{dtype}.{name}", "data source") for dtype, named in _blocks(files, "data") for name in named]
    variables: list[Variable] = []
    outputs: list[Output] = []
    for name, body in _blocks(files, "variable"):
        variables.append(Variable(name, _description(directory, "variable", name, body), _expression(body.get("type", "any")),
                                  body.get("default", _REQUIRED)))
    for name, body in _blocks(files, "output"):
        outputs.append(Output(name, _description(directory, "output", name, body), bool(body.get("sensitive", False))))
    return ModuleDoc(
        requirements=requirements + sorted(providers),
        module_calls=[(name, str(body.get("source", ""))) for name, body in _blocks(files, "module")],
        resources=sorted(resources),
        variables=variables,
        outputs=outputs,
    )


def _description(directory: Path, kind: str, name: str, body: dict[str, Any]) -> str:
    text = body.get("description")
    if not isinstance(text, str) or not text.strip():
        raise DocsError(f"{directory}: {kind} {name!r} has no description; the README's table is made from it")
    return text.strip()


# -- rendering -----------------------------------------------------------------------------------
def _cell(text: str) -> str:
    """Text fit for one Markdown table cell."""
    return text.replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")


def _code(text: str) -> str:
    return f"`{_cell(text)}`"


def _default(variable: Variable) -> str:
    if variable.required:
        return "n/a"
    return _code(json.dumps(variable.default, ensure_ascii=False, separators=(", ", ": ")))


def _table(header: Sequence[str], rows: list[list[str]], align: Sequence[str] | None = None) -> list[str]:
    rule = align or ["---"] * len(header)
    return ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |", *("| " + " | ".join(row) + " |" for row in rows)]


def render(doc: ModuleDoc) -> str:
    """The Markdown that goes between the markers (without them)."""
    sections: list[list[str]] = []
    if doc.requirements:
        sections.append(["## Requirements", "", *_table(["Name", "Version"], [[n, _code(v)] for n, v in doc.requirements])])
    if doc.module_calls:
        sections.append(["## Modules", "", *_table(["Name", "Source"], [[_code(n), _code(s)] for n, s in doc.module_calls])])
    if doc.resources:
        sections.append(["## Resources", "", *_table(["Name", "Type"], [[_code(a), k] for a, k in doc.resources])])
    inputs = [
        [_code(v.name), _cell(v.description), _code(v.type), _default(v), "yes" if v.required else "no"] for v in doc.variables
    ]
    sections.append(
        ["## Inputs", "", *(_table(["Name", "Description", "Type", "Default", "Required"], inputs, ["---"] * 4 + [":---:"])
                            if inputs else ["No inputs."])]
    )
    outputs = [[_code(o.name), _cell(o.description) + (" (sensitive)" if o.sensitive else "")] for o in doc.outputs]
    sections.append(["## Outputs", "", *(_table(["Name", "Description"], outputs) if outputs else ["No outputs."])])
    return "\n\n".join("\n".join(section) for section in sections)


def replace_section(readme: str, generated: str, where: str = "README.md") -> str:
    """``readme`` with the text between the markers replaced by ``generated``."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < 0 or end < start or readme.count(BEGIN) != 1 or readme.count(END) != 1:
        raise DocsError(f"{where}: needs exactly one {BEGIN} followed by one {END}, where the generated tables go")
    return readme[: start + len(BEGIN)] + "\n" + generated + "\n" + readme[end:]


# -- checking and writing ------------------------------------------------------------------------
def documented_directories(roots: Sequence[Path] = DOCUMENTED_ROOTS, directories: Sequence[Path] = DOCUMENTED_DIRECTORIES) -> list[Path]:
    """Every module, example and bootstrap (with its modules) whose README carries generated tables."""
    found = {d for root in roots if root.is_dir() for d in root.iterdir() if d.is_dir() and any(d.glob("*.tf"))}
    return sorted(found | {d for d in directories if d.is_dir() and any(d.glob("*.tf"))})


def expected_readme(directory: Path) -> tuple[str, str]:
    """(the README as it is, the README as the generator writes it)."""
    readme = directory / "README.md"
    if not readme.is_file():
        raise DocsError(f"{directory}: has no README.md")
    current = readme.read_text()
    return current, replace_section(current, render(read_module(directory)), str(readme))


def stale(directory: Path) -> str | None:
    """A unified diff from the README's tables to the generated ones; None when they agree."""
    current, expected = expected_readme(directory)
    if current == expected:
        return None
    name = _shown(directory / "README.md")
    return "".join(difflib.unified_diff(current.splitlines(True), expected.splitlines(True), name, f"{name} (generated)"))


def _shown(path: Path) -> str:
    """``path`` relative to the repository when it is inside it."""
    return str(path.relative_to(paths.REPO_ROOT)) if path.is_relative_to(paths.REPO_ROOT) else str(path)


def write(directory: Path) -> bool:
    """Regenerate the README's tables; True when the file changed."""
    current, expected = expected_readme(directory)
    if current != expected:
        (directory / "README.md").write_text(expected)
    return current != expected


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.provision.module_docs", description="Generate or check the README tables.")
    parser.add_argument("--write", action="store_true", help="rewrite the README tables instead of checking them")
    parser.add_argument("directories", nargs="*", type=Path, help="module or example directories (default: all)")
    args = parser.parse_args(argv)
    directories = args.directories or documented_directories()
    try:
        if args.write:
            for directory in directories:
                print(f"{_shown(directory / 'README.md')}: {'written' if write(directory) else 'up to date'}")
            return 0
        diffs = [diff for diff in map(stale, directories) if diff]
    except DocsError as exc:
        print(f"module_docs: {exc}", file=sys.stderr)
        return 2
    for diff in diffs:
        sys.stdout.write(diff)
    if diffs:
        print(f"\n{len(diffs)} README table(s) differ from the Terraform sources; run {WRITE_HINT}", file=sys.stderr)
        return 1
    print(f"module_docs: {len(directories)} README(s) up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
