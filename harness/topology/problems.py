"""How problems in an input file are collected and worded: one line each, ``file:line: field: message``.

:class:`Problems` gathers them for one file; the helpers build the parts of a message in the one
style every reader uses (quoted values, lists of names, "did you mean" suggestions).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from harness.errors import ERROR, WARNING, InputFileError, Problem

__all__ = ["ROOT_FIELD", "Problems", "quote", "join_names", "suggest", "article", "one_line", "child_field"]

ROOT_FIELD = "(document)"

def quote(value: Any, limit: int = 60) -> str:
    """A value as it should appear in a one-line message: strings JSON-quoted, long ones cut."""
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        if len(text) > limit:
            text = text[: limit - 4] + '..."'
        return text
    return repr(value)


def join_names(names: Iterable[str], limit: int = 12) -> str:
    """``a, b, c`` (or ``a, b, ... (N more)``); ``(none)`` when empty."""
    items = list(names)
    if not items:
        return "(none)"
    if len(items) > limit:
        return ", ".join(items[:limit]) + f", ... ({len(items) - limit} more)"
    return ", ".join(items)


def suggest(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or ``""`` when nothing is close."""
    pool = list(candidates)
    matches = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in pool}
        if word.lower() in lowered:
            matches = [lowered[word.lower()]]
    return f"; did you mean '{matches[0]}'?" if matches else ""


def article(noun: str) -> str:
    """``"an AWS region"``, ``"a queue name"``: the noun with a naive indefinite article."""
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


def child_field(path: str, key: str | int) -> str:
    """The field path of ``key`` under ``path``: ``a.b``, ``a[2]``.

    A key that would break the ``file:line: field: message`` form (a ``:``, a line break, nothing
    at all) is written as a JSON string in brackets with ``:`` escaped: ``a["x\\u003ay"]``.
    """
    if isinstance(key, int):
        return f"{path}[{key}]"
    if not key or ":" in key or not key.isprintable():
        return path + "[" + json.dumps(key).replace(":", "\\u003a") + "]"
    return f"{path}.{key}" if path else key


def one_line(text: str) -> str:
    return " ".join(str(text).split())


# --------------------------------------------------------------------------------------------


class Problems:
    """Collects :class:`Problem` s for one file; :meth:`raise_if_any` raises them all at once.

    Errors refuse the file; warnings (:meth:`warn`) are kept beside them: they are raised with the
    errors when there are any, and otherwise read from :attr:`warnings` by whoever built the model.
    ``len()`` and truth count errors only."""

    def __init__(self, file: str):
        self.file = file
        self._items: list[Problem] = []
        self._seen: set[tuple[int, str, str, str]] = set()

    def add(self, line: int, field: str, message: str, level: str = ERROR) -> None:
        line = max(int(line), 1)
        field = one_line(field) or ROOT_FIELD
        message = one_line(message)
        key = (line, field, message, level)
        if key not in self._seen:
            self._seen.add(key)
            self._items.append(Problem(self.file, line, field, message, level))

    def warn(self, line: int, field: str, message: str) -> None:
        """Record harmless redundancy: said at ``file:line: field: warning:``, never refusing the file."""
        self.add(line, field, message, WARNING)

    @property
    def items(self) -> list[Problem]:
        """All problems so far, warnings included, sorted by line (stable: same-line problems keep
        discovery order)."""
        return sorted(self._items, key=lambda p: p.line)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if not p.is_error]

    def __len__(self) -> int:
        return sum(1 for p in self._items if p.is_error)

    def __bool__(self) -> bool:
        return any(p.is_error for p in self._items)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.items)

    def raise_if_any(self) -> None:
        """Raise every problem (warnings too) when there is at least one error."""
        if self:
            raise InputFileError(self.items)
