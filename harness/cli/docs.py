"""The docs' reference tables, generated from the code that they describe, never copied by hand.

Each table lives in a Markdown page between two markers, and only that part is rewritten::

    <!-- BEGIN GENERATED: cli -->
    ... written by this module ...
    <!-- END GENERATED: cli -->

``python -m harness.cli.docs --write`` rewrites every table; ``--check`` exits 1 naming each page
whose table differs from what the code says now (``tests/unit/test_docs.py`` runs the check).
The sources:

- ``cli`` (docs/cli.md): every command's summary, description, options with their defaults
  (:mod:`harness.cli.parser`), environment and examples (:mod:`harness.cli.help`);
- ``environment`` (docs/environment.md): :data:`harness.cli.help.ENVIRONMENT` and the commands
  that honour each variable;
- ``topology-fields`` / ``scenario-fields`` (docs/topology-format.md, docs/scenario-format.md):
  the JSON Schemas in docs/schema/, whose keys ``tests/unit/test_schemas.py`` holds to the loaders';
- ``rehearsal`` (docs/aws-nightly.md): where the rehearsal of the AWS target on LocalStack differs
  from AWS (:mod:`harness.provision.rehearsal`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import paths
from harness.cli.help import COMMANDS, ENVIRONMENT, EXIT
from harness.cli.parser import build_parser

SCHEMA_DIR = paths.REPO_ROOT / "docs" / "schema"
BEGIN = "<!-- BEGIN GENERATED: {name} -->"
END = "<!-- END GENERATED: {name} -->"
NOTE = "<!-- written by `python -m harness.cli.docs --write`; edit the source named in harness/cli/docs.py, not this table -->"


def _md(text: str) -> str:
    """Plain help text as Markdown: one line, with what Markdown would eat escaped."""
    text = " ".join(text.split())
    return re.sub(r"([\\|*<])", r"\\\1", text)


# ---- the CLI and its environment ---------------------------------------------------------------


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("harness has no commands")


def _option_rows(parser: argparse.ArgumentParser) -> list[str]:
    formatter = argparse.HelpFormatter(parser.prog)
    rows = ["| option | what it does (default) |", "| --- | --- |"]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        invocation = formatter._format_action_invocation(action)
        rows.append(f"| `{invocation}` | {_md(action.help or '')} |")
    return rows


def cli_reference() -> str:
    parser = build_parser()
    out = [
        "Every command takes `-h`/`--help` (the same texts as here) and the global `-v`/`--verbose`",
        "(debug logging; default: info) before the command name.",
        "",
        f"**Exit status** of every command — {_md(EXIT.removeprefix('exit status: '))}.",
    ]
    for name, sub in _subparsers(parser).items():
        doc = COMMANDS[name]
        out += ["", f"### `harness {name}`", "", f"{_md(doc.summary[:1].upper() + doc.summary[1:])}.", "", _md(doc.description), ""]
        out += _option_rows(sub) if len(sub._actions) > 1 else ["No options."]
        env = ", ".join(f"[`{v}`](environment.md)" for v in doc.environment) or "none"
        out += ["", f"Environment: {env}.", "", "```sh", *doc.examples, "```"]
    return "\n".join(out)


def environment_reference() -> str:
    honoured: dict[str, list[str]] = {name: [] for name in ENVIRONMENT}
    for command, doc in COMMANDS.items():
        for name in doc.environment:
            honoured[name].append(f"`{command}`")
    rows = ["| variable | effect | honoured by |", "| --- | --- | --- |"]
    rows += [f"| `{name}` | {_md(effect)} | {', '.join(honoured[name]) or '—'} |" for name, effect in ENVIRONMENT.items()]
    return "\n".join(rows)


def rehearsal_reference() -> str:
    from harness.provision import rehearsal

    return rehearsal.describe()


# ---- the file formats, from their JSON Schemas -------------------------------------------------


@dataclass
class _Walk:
    """Rows of a field table, walking one schema; each ``$defs`` entry is expanded once."""

    schema: dict[str, Any]
    expanded: set[str]

    def resolve(self, node: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        ref = node.get("$ref")
        if not ref:
            return None, node
        name = ref.removeprefix("#/$defs/")
        return name, {**self.schema["$defs"][name], **{k: v for k, v in node.items() if k != "$ref"}}

    def label(self, node: dict[str, Any]) -> str:
        _, full = self.resolve(node)
        if "enum" in full and len(full["enum"]) <= 8:
            return " \\| ".join(f"`{v}`" for v in full["enum"])
        if "title" in full:
            return str(full["title"])
        declared = full.get("type", "object" if "properties" in full else "any")
        kinds: list[str] = declared if isinstance(declared, list) else [declared]
        if "array" in kinds and "items" in full:
            item = self.label(full["items"])
            return "list of mappings" if item == "mapping" else f"list of {item}"
        words = {"object": "mapping", "null": "empty", "array": "list", "integer": "whole number", "boolean": "true \\| false"}
        text = " or ".join(words.get(k, k) for k in kinds if k != "null")
        if "minimum" in full and "maximum" in full:
            text += f" {full['minimum']}–{full['maximum']}"
        return text

    def rows(self, node: dict[str, Any], path: str) -> Iterator[str]:
        _, full = self.resolve(node)
        required = set(full.get("required", ()))
        for key, child in full.get("properties", {}).items():
            yield from self.field(f"{path}.{key}" if path else key, child, key in required)
        extra = full.get("additionalProperties")
        if isinstance(extra, dict):
            yield from self.nested(extra, f"{path}.<name>")

    def field(self, path: str, node: dict[str, Any], required: bool) -> Iterator[str]:
        _, full = self.resolve(node)
        default = "required" if required else (f"`{json.dumps(full['default'])}`" if "default" in full else "")
        yield f"| `{path}` | {self.label(node)} | {default} | {_md(full.get('description', ''))} |"
        kinds = full.get("type", "object")
        if "array" in (kinds if isinstance(kinds, list) else [kinds]) and "items" in full:
            yield from self.nested(full["items"], f"{path}[]")
        elif "properties" in full or isinstance(full.get("additionalProperties"), dict):
            yield from self.nested(node, path)

    def nested(self, node: dict[str, Any], path: str) -> Iterator[str]:
        name, full = self.resolve(node)
        if name is not None:
            if name in self.expanded:
                return
            self.expanded.add(name)
        if "properties" in full or isinstance(full.get("additionalProperties"), dict):
            yield from self.rows(node, path)


def fields_reference(kind: str) -> str:
    schema = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text())
    rows = ["| field | type | required / default | what it is |", "| --- | --- | --- | --- |"]
    return "\n".join(rows + list(_Walk(schema, set()).rows(schema, "")))


# ---- the blocks, and writing or checking them --------------------------------------------------

BLOCKS: dict[str, tuple[str, Callable[[], str]]] = {
    "cli": ("docs/cli.md", cli_reference),
    "environment": ("docs/environment.md", environment_reference),
    "topology-fields": ("docs/topology-format.md", lambda: fields_reference("topology")),
    "scenario-fields": ("docs/scenario-format.md", lambda: fields_reference("scenario")),
    "rehearsal": ("docs/aws-nightly.md", rehearsal_reference),
}


def fill(text: str, name: str, body: str) -> str:
    """``text`` with the block ``name`` (its markers kept) holding ``body``."""
    begin, end = BEGIN.format(name=name), END.format(name=name)
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise ValueError(f"no {begin} ... {end} markers")
    return text[: start + len(begin)] + f"\n{NOTE}\n{body}\n" + text[stop:]


def drifted(root: Path = paths.REPO_ROOT) -> list[str]:
    """``page: block`` for each generated block whose committed text is not what the code says now."""
    out = []
    for name, (page, render) in BLOCKS.items():
        path = root / page
        try:
            text = path.read_text()
            stale = fill(text, name, render()) != text
        except (OSError, ValueError) as err:
            out.append(f"{page}: {name}: {err}")
            continue
        if stale:
            out.append(f"{page}: {name}: differs from the code; run `python -m harness.cli.docs --write`")
    return out


def write(root: Path = paths.REPO_ROOT) -> list[str]:
    """Rewrite every generated block; the pages that changed."""
    changed = []
    for name, (page, render) in BLOCKS.items():
        path = root / page
        text = path.read_text()
        try:
            new = fill(text, name, render())
        except ValueError as err:
            raise ValueError(f"{page}: {err}") from None
        if new != text:
            path.write_text(new)
            changed.append(page)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.cli.docs", description=__doc__.splitlines()[0] if __doc__ else None)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the generated tables in docs/")
    mode.add_argument("--check", action="store_true", help="exit 1 when a generated table differs from the code")
    args = parser.parse_args(argv)
    if args.write:
        try:
            changed = write()
        except (OSError, ValueError) as err:  # a page missing, or its markers
            print(f"error: {err}", file=sys.stderr)
            return 1
        for page in changed:
            print(f"wrote {page}")
        return 0
    problems = drifted()
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
