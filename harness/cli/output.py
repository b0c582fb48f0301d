"""How a command's results and input problems are written: ``--output text|json|github``.

- ``text`` (the default): what the commands always printed — data on stdout, every problem as one
  ``file:line: field: message`` line on stderr (``… field: warning: message`` for a warning).
- ``json``: one JSON document on stdout and nothing else there: ``{"command", "ok", "problems",
  …the command's data}``, each problem ``{"file", "line", "field", "message", "level"}``; an error
  that is not about an input file is ``{"command", "ok": false, "error", "exit_status"}``.
- ``github``: the text output, with every problem (and a command's error) as a GitHub Actions
  workflow command on stdout, ``::error file=F,line=N,title=FIELD::MESSAGE`` or ``::warning …``,
  escaped as the runner requires, so a workflow annotates the file at the line.

Pure renderers, so every command (``harness run`` included, later) can use them: :func:`annotation`
for one workflow command, :func:`problem_record` for one problem as data.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from harness.errors import Problem

TEXT, JSON, GITHUB = "text", "json", "github"
FORMATS = (TEXT, JSON, GITHUB)


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF escaped (as @actions/core does)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as :func:`escape_data`, and ``:`` and ``,`` too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workspace_path(file: str, root: Path | None = None) -> str:
    """``file`` relative to ``root`` (default: the working directory) when it lies under it: GitHub
    matches an annotation's file against the repository's paths."""
    path = Path(file)
    if not path.is_absolute():
        return file
    try:
        return str(path.resolve().relative_to((root or Path.cwd()).resolve()))
    except ValueError:
        return file


def annotation(level: str, message: str, *, file: str | None = None, line: int | None = None, title: str | None = None) -> str:
    """One workflow command: ``::error file=F,line=N,title=T::message`` (``level``: error, warning
    or notice; properties left out when not given)."""
    props = [f"{key}={escape_property(str(value))}" for key, value in (("file", file), ("line", line), ("title", title)) if value is not None]
    return f"::{level}{' ' + ','.join(props) if props else ''}::{escape_data(message)}"


def problem_annotation(p: Problem, root: Path | None = None) -> str:
    return annotation(p.level, p.message, file=workspace_path(p.file, root), line=p.line, title=p.field)


def problem_record(p: Problem) -> dict[str, Any]:
    return {"file": p.file, "line": p.line, "field": p.field, "message": p.message, "level": p.level}


class Output:
    """The chosen format for one invocation: where problems, data and errors go."""

    def __init__(self, fmt: str = TEXT, command: str = "", stdout: TextIO | None = None, stderr: TextIO | None = None):
        if fmt not in FORMATS:
            raise ValueError(f"unknown output format {fmt!r}: use one of {', '.join(FORMATS)}")
        self.format, self.command = fmt, command
        self.stdout, self.stderr = stdout or sys.stdout, stderr or sys.stderr

    @property
    def is_json(self) -> bool:
        return self.format == JSON

    def text(self, line: str = "") -> None:
        """A line of the human-readable output (left out of a JSON document)."""
        if not self.is_json:
            print(line, file=self.stdout)

    def problems(self, problems: Iterable[Problem]) -> None:
        """Problems as text lines on stderr, or annotations on stdout (JSON: see :meth:`document`)."""
        for p in problems:
            if self.format == GITHUB:
                print(problem_annotation(p), file=self.stdout)
            elif self.format == TEXT:
                print(str(p), file=self.stderr)

    def document(self, ok: bool, problems: Sequence[Problem] = (), **data: Any) -> None:
        """JSON: the one document of the invocation on stdout. Text and GitHub: the problems only
        (the command printed its data as text)."""
        if self.is_json:
            doc = {"command": self.command, "ok": ok, "problems": [problem_record(p) for p in problems], **data}
            print(json.dumps(doc, indent=2, default=_plain), file=self.stdout)
        else:
            self.problems(problems)

    def error(self, message: str, exit_status: int) -> None:
        """An error that is not about an input file (``error: …``)."""
        if self.is_json:
            doc = {"command": self.command, "ok": False, "problems": [], "error": message, "exit_status": exit_status}
            print(json.dumps(doc, indent=2), file=self.stdout)
            return
        if self.format == GITHUB:
            print(annotation("error", message, title=f"harness {self.command}".strip()), file=self.stdout)
        print(f"error: {message}", file=self.stderr)


def _plain(value: Any) -> Any:
    """json.dumps' fallback: paths as text, mappings and sequences as plain ones."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def report_annotations(data: Mapping[str, Any], root: Path | None = None) -> list[str]:
    """A run's verdicts as workflow commands: ``::error`` at the scenario file's line for each
    missed outcome objective and each failure, ``::warning`` for each missed condition or objective
    not observable here (the scenario is inconclusive), titled ``<scenario>: <objective>``."""
    out = []
    for sc in data.get("scenarios", []):
        file = workspace_path(str(sc.get("file", "")), root)
        objectives = sc.get("objectives") or []
        for o in objectives:
            if o["result"] == "met":
                continue
            level = "error" if o["result"] == "missed" and o["kind"] == "outcome" else "warning"
            text = f"{o['what']} [{o['where']}]: {o['measured']}, bound {o['bound']}" + (f" — {o['reason']}" if o.get("reason") else "")
            out.append(annotation(level, text, file=file, line=o.get("line") or 1, title=f"{sc['name']}: {o['what']}"))
        for f in sc.get("failures") or []:
            out.append(annotation("error", f, file=file, line=1, title=f"{sc['name']}: {sc['status']}"))
    return out
