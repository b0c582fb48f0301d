"""One value of a YAML document with its file, line and field path, and typed readers over it.

See :mod:`harness.topology.sourced_yaml` for how a document is read into a root :class:`Node`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml

from harness.topology.problems import ROOT_FIELD, Problems, article, child_field, join_names, quote, suggest

__all__ = ["Node", "MAX_DEPTH", "MAX_VALUES", "TAG_MERGE"]

_TAG = "tag:yaml.org,2002:"
TAG_STR = _TAG + "str"
TAG_INT = _TAG + "int"
TAG_FLOAT = _TAG + "float"
TAG_BOOL = _TAG + "bool"
TAG_NULL = _TAG + "null"
TAG_MERGE = _TAG + "merge"

#: Collections nested deeper than this are rejected (no topology or scenario value needs 10).
MAX_DEPTH = 64
#: A free-form value may not expand to more values than this (aliases can repeat a value).
MAX_VALUES = 10_000
_DECIMAL = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
_TRUE_FALSE = {"true": True, "false": False}

def _describe(node: yaml.Node) -> str:
    """What the user wrote, in words: 'a list', 'a mapping', 'an empty value', 'the number 5'."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.ScalarNode):
        tag = node.tag
        if tag == TAG_NULL:
            return "an empty value" if node.value in ("", "~") else f"an empty value ({node.value})"
        if tag == TAG_BOOL:
            return f"the boolean {node.value}"
        if tag in (TAG_INT, TAG_FLOAT):
            return f"the number {node.value}"
        if tag == TAG_STR:
            return quote(node.value)
        return f"{quote(node.value)} (YAML type {tag.replace(_TAG, '!!')})"
    return "an unsupported YAML value"  # pragma: no cover - composer yields only the three kinds


class Node:
    """One YAML value with its location.

    ``field`` is the dotted path (``queues.b-eu.dead_letter.queue``, ``subscriptions[2].topic``;
    ``(document)`` for the root). ``line`` is 1-based: for a mapping value it is the line of its
    *key* (so ``orders:`` followed by an indented block is reported at ``orders:``), for a list item
    the line the item starts on. ``yaml`` is the underlying PyYAML node.
    """

    __slots__ = ("problems", "yaml", "path", "line")

    def __init__(self, problems: Problems, node: yaml.Node, path: str = "", line: int | None = None):
        self.problems = problems
        self.yaml = node
        self.path = path
        self.line = line if line is not None else node.start_mark.line + 1

    def __repr__(self) -> str:
        return f"Node({self.location()}, {_describe(self.yaml)})"

    # ---- location -----------------------------------------------------------------------

    @property
    def file(self) -> str:
        return self.problems.file

    @property
    def field(self) -> str:
        return self.path or ROOT_FIELD

    def location(self) -> str:
        return f"{self.file}:{self.line}: {self.field}"

    def child_path(self, key: str | int) -> str:
        return child_field(self.path, key)

    def problem(self, message: str, field: str | None = None, line: int | None = None) -> None:
        """Record a problem at this node (or at ``field``/``line`` when given)."""
        self.problems.add(self.line if line is None else line, field or self.field, message)

    def warning(self, message: str) -> None:
        """Record harmless redundancy at this node (``file:line: field: warning: message``)."""
        self.problems.warn(self.line, self.field, message)

    # ---- kind ---------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        """``mapping``, ``list``, ``null`` or ``scalar``."""
        if isinstance(self.yaml, yaml.MappingNode):
            return "mapping"
        if isinstance(self.yaml, yaml.SequenceNode):
            return "list"
        if self.yaml.tag == TAG_NULL:
            return "null"
        return "scalar"

    @property
    def is_null(self) -> bool:
        return self.kind == "null"

    @property
    def tag(self) -> str:
        return self.yaml.tag

    @property
    def raw(self) -> str | None:
        """The scalar text exactly as written (without quotes); ``None`` for collections."""
        return self.yaml.value if isinstance(self.yaml, yaml.ScalarNode) else None

    def describe(self) -> str:
        return _describe(self.yaml)

    def _wrong(self, expected: str, hint: str | None) -> None:
        tail = f"; {hint}" if hint else ""
        self.problem(f"expected {expected} but found {self.describe()}{tail}")

    # ---- collections --------------------------------------------------------------------

    def entries(self) -> list[tuple[str, Node, Node]] | None:
        """Every ``(key, key_node, value_node)`` of a mapping in file order, duplicates included.

        Keys are the scalar text as written. Records a problem and returns ``None`` if this is not a
        mapping; skips (with a problem) keys that are not plain scalars and merge keys.
        """
        if not isinstance(self.yaml, yaml.MappingNode):
            return None
        out: list[tuple[str, Node, Node]] = []
        for knode, vnode in self.yaml.value:
            kline = knode.start_mark.line + 1
            if knode.tag == TAG_MERGE:
                self.problems.add(
                    kline,
                    self.child_path("<<"),
                    "merge keys (<<) are not supported; write the fields out in full",
                )
                continue
            if not isinstance(knode, yaml.ScalarNode):
                self.problems.add(
                    kline,
                    self.field,
                    f"a key must be a plain name, not {_describe(knode)}; write name: value",
                )
                continue
            key = knode.value
            out.append(
                (
                    key,
                    Node(self.problems, knode, self.child_path(key), kline),
                    Node(self.problems, vnode, self.child_path(key), kline),
                )
            )
        return out

    def mapping(
        self,
        allowed: Iterable[str] | None = None,
        required: Iterable[str] = (),
        hint: str | None = None,
        required_hints: dict[str, str] | None = None,
    ) -> dict[str, Node] | None:
        """Read a mapping: ``{key: value node}`` in file order (first occurrence of a duplicate key).

        ``allowed=None`` accepts any key (a mapping keyed by user-chosen names). Otherwise an unknown
        key is a problem that lists the allowed keys and suggests the closest one. A missing
        ``required`` key is a problem at this node's line (``required_hints[key]`` is appended, e.g.
        ``"add account: <one of A, B>"``). Returns ``None`` (after recording a problem) when the value
        is not a mapping; an empty mapping ``{}`` is returned as ``{}``.
        """
        entries = self.entries()
        if entries is None:
            self._wrong("a mapping (key: value lines)", hint)
            return None
        allowed_list = list(allowed) if allowed is not None else None
        out: dict[str, Node] = {}
        for key, knode, vnode in entries:
            if allowed_list is not None and key not in allowed_list:
                knode.problem(
                    f"unknown field {quote(key)}; allowed fields here: {join_names(allowed_list, 30)}"
                    f"{suggest(key, allowed_list)}"
                )
                continue
            if key not in out:
                out[key] = vnode
        hints = required_hints or {}
        for key in required:
            if key not in out:
                extra = hints.get(key) or f"add {key}: <value>"
                self.problem(f"missing required field {quote(key)}; {extra}", field=self.child_path(key))
        return out

    def items(self, hint: str | None = None) -> list[Node] | None:
        """Read a list: its item nodes (field ``path[i]``). ``None`` + problem if not a list."""
        if not isinstance(self.yaml, yaml.SequenceNode):
            self._wrong("a list", hint or "write it as [a, b] or as indented '- item' lines")
            return None
        return [Node(self.problems, item, self.child_path(i)) for i, item in enumerate(self.yaml.value)]

    # ---- scalars ------------------------------------------------------------------------

    def string(
        self,
        pattern: str | re.Pattern[str] | None = None,
        hint: str | None = None,
        what: str = "string",
    ) -> str | None:
        """Read a string (a scalar YAML resolves to ``str``), optionally matching ``pattern``.

        ``what`` names the expected thing without article (``"queue name"``); ``hint`` says what to
        write instead and is appended to any problem. Numbers, booleans, nulls and collections are
        problems (a number/boolean is told to quote itself).
        """
        node = self.yaml
        if not isinstance(node, yaml.ScalarNode) or node.tag in (TAG_NULL,):
            self._wrong(article(what), hint)
            return None
        if node.tag != TAG_STR:
            tail = f"; {hint}" if hint else ""
            self.problem(
                f"expected {article(what)} but found {self.describe()}; quote it to keep it as text: "
                f'"{node.value}"{tail}'
            )
            return None
        value: str = node.value
        if pattern is not None:
            rx = re.compile(pattern) if isinstance(pattern, str) else pattern
            if not rx.fullmatch(value):
                tail = f"; {hint}" if hint else f"; it must match {rx.pattern}"
                self.problem(f"{quote(value)} is not a valid {what}{tail}")
                return None
        return value

    def integer(self, min: int | None = None, max: int | None = None, hint: str | None = None) -> int | None:
        """Read a plain decimal integer, optionally within ``[min, max]`` (inclusive)."""
        node = self.yaml
        rng = ""
        if min is not None and max is not None:
            rng = f" between {min} and {max}"
        elif min is not None:
            rng = f" of at least {min}"
        elif max is not None:
            rng = f" of at most {max}"
        what = f"a whole number{rng}"
        if not isinstance(node, yaml.ScalarNode) or node.tag != TAG_INT:
            if isinstance(node, yaml.ScalarNode) and node.tag == TAG_STR and _DECIMAL.match(node.value.strip()):
                self.problem(f"{quote(node.value)} is quoted text, not a number; write it without quotes: {node.value.strip()}")
            else:
                self._wrong(what, hint)
            return None
        text = node.value
        if not _DECIMAL.match(text):
            self.problem(
                f"{text} is not a plain decimal number (YAML would read it as octal, hex or base 60); "
                f"write {what} in decimal digits without leading zeros"
            )
            return None
        value = int(text.replace("_", ""))
        if (min is not None and value < min) or (max is not None and value > max):
            tail = (f", {hint}" if hint.startswith("e.g.") else f"; {hint}") if hint else ""
            self.problem(f"{value} is out of range; write {what}{tail}")
            return None
        return value

    def boolean(self, hint: str | None = None) -> bool | None:
        """Read ``true`` or ``false`` (unquoted; ``yes``/``no``/``on``/``off`` are rejected)."""
        node = self.yaml
        if isinstance(node, yaml.ScalarNode) and node.tag == TAG_BOOL:
            word = node.value.lower()
            if word in _TRUE_FALSE:
                return _TRUE_FALSE[word]
            meant = "true" if word in ("yes", "on", "y") else "false"
            self.problem(f"{node.value} is ambiguous YAML; write {meant} (booleans are true or false)")
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag == TAG_STR and node.value.lower() in _TRUE_FALSE:
            self.problem(f"{quote(node.value)} is a quoted string; write {node.value.lower()} without quotes")
            return None
        self._wrong("true or false", hint)
        return None

    def string_list(
        self,
        pattern: str | re.Pattern[str] | None = None,
        hint: str | None = None,
        what: str = "string",
        allow_duplicates: bool = False,
    ) -> list[tuple[str, Node]] | None:
        """Read a list of strings: ``[(value, item node), ...]`` for the items that are valid.

        A bare scalar where a list is expected is a problem (``hint`` should show the list form).
        Duplicate items are problems at the repeated item unless ``allow_duplicates``.
        """
        items = self.items(hint=hint)
        if items is None:
            return None
        out: list[tuple[str, Node]] = []
        seen: dict[str, int] = {}
        for item in items:
            value = item.string(pattern=pattern, hint=hint, what=what)
            if value is None:
                continue
            if not allow_duplicates and value in seen:
                item.problem(f"{quote(value)} is listed twice (first at line {seen[value]}); remove the repeat")
                continue
            seen[value] = item.line
            out.append((value, item))
        return out

    # ---- free-form ----------------------------------------------------------------------

    def to_python(self) -> Any:
        """Convert a free-form value (e.g. a filter policy) to plain Python for JSON.

        Mapping keys become their scalar text; scalars become ``str``/``int``/``float``/``bool``/
        ``None`` (other YAML types, e.g. timestamps, stay as their text). Non-scalar keys, merge keys
        and alias cycles are recorded as problems and skipped.
        """
        budget = [MAX_VALUES]
        try:
            return self._to_python(self.yaml, self.path, self.line, set(), budget)
        except _TooBig:
            self.problem(
                f"expands to more than {MAX_VALUES} values or {MAX_DEPTH} levels (YAML aliases repeat a "
                "value); write the value out without aliases"
            )
            return None

    def _to_python(self, node: yaml.Node, path: str, line: int, active: set[int], budget: list[int]) -> Any:
        budget[0] -= 1
        if budget[0] < 0 or len(active) > MAX_DEPTH:
            raise _TooBig
        if id(node) in active:
            self.problems.add(line, path or ROOT_FIELD, "a YAML alias refers to itself; write the value out")
            return None
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        active = active | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            return [
                self._to_python(item, child_field(path, i), item.start_mark.line + 1, active, budget)
                for i, item in enumerate(node.value)
            ]
        out: dict[str, Any] = {}
        sub = Node(self.problems, node, path, line)
        for key, knode, vnode in sub.entries() or []:
            if key in out:
                continue  # duplicate: already reported by load_yaml
            out[key] = self._to_python(vnode.yaml, vnode.path, knode.line, active, budget)
        return out


class _TooBig(Exception):
    """A free-form value expands beyond :data:`MAX_VALUES` values or :data:`MAX_DEPTH` levels."""


def _scalar(node: yaml.ScalarNode) -> Any:
    tag, text = node.tag, node.value
    if tag == TAG_NULL:
        return None
    if tag == TAG_BOOL:
        return text.lower() in ("true", "yes", "on", "y")
    if tag == TAG_INT or tag == TAG_FLOAT:
        try:
            return yaml.SafeLoader("").construct_object(node)  # handles 0x.., 1_000, .inf, 1:30
        except (yaml.YAMLError, ValueError):
            return text
    return text


