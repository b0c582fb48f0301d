"""Sourced YAML: read a YAML file so that every value keeps its file, line and field path.

Generic on purpose (topology files and scenario files both use it; it lives in the topology package,
the earliest stage that reads files). The flow is::

    doc = load_yaml(path)                      # raises InputFileError: unreadable, syntax, empty
    top = doc.mapping(allowed=("name", "items"), required=("name",))
    if top is not None and "name" in top:
        name = top["name"].string(pattern=r"^[a-z]+$", hint='e.g. name: demo')
    ...
    doc.problems.raise_if_any()                # every problem found, sorted by line

Every reader (:meth:`Node.mapping`, :meth:`Node.string`, ...; :mod:`~harness.topology.sourced_node`)
either returns the value or records a :class:`~harness.errors.Problem` on the shared
:class:`Problems` collector (:mod:`~harness.topology.problems`) and returns ``None``;
nothing here raises on malformed *content*, so a caller can keep going and report everything at once.

Parsing uses PyYAML's composer (the SafeLoader's, depth-bounded), so values stay as nodes
carrying their marks. Duplicate mapping keys, which PyYAML silently resolves to the last value, are
reported when the file is loaded (the readers then see the *first* occurrence).

Strictness (deliberate, YAML 1.1 has too many surprises):

* booleans: only ``true`` / ``false`` (any case) written unquoted; ``yes``/``no``/``on``/``off`` and
  quoted ``"true"`` are rejected with a hint.
* integers: only plain decimal (``30``, ``-1``, ``1_000``); octal-looking ``030``, hex ``0x1e``,
  sexagesimal ``1:30``, floats and booleans are rejected.
* strings: a scalar that YAML resolves to a number, boolean or null is not a string; the problem
  says to quote it.
* merge keys (``<<``) are not supported; the problem says to write the fields out.
* nesting is bounded: a collection more than :data:`MAX_DEPTH` levels deep is one problem (checked
  while composing, so PyYAML's recursive composer never meets a RecursionError), and a free-form
  value (:meth:`Node.to_python`) may not expand to more than :data:`MAX_VALUES` values through
  aliases.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import yaml

from harness.errors import InputFileError, Problem
from harness.topology.problems import ROOT_FIELD, Problems, article, child_field, join_names, one_line, quote, suggest
from harness.topology.sourced_node import MAX_DEPTH, MAX_VALUES, TAG_MERGE, Node

__all__ = [
    "Node",
    "Problems",
    "load_yaml",
    "parse_yaml",
    "suggest",
    "quote",
    "join_names",
    "article",
    "MAX_DEPTH",
    "MAX_VALUES",
]

# --------------------------------------------------------------------------------------------


def _check_duplicates(root: Node) -> None:
    """Report every repeated mapping key (at the repeat's line), anywhere in the document."""
    seen_nodes: set[int] = set()

    def walk(node: yaml.Node, path: str) -> None:
        if id(node) in seen_nodes:
            return
        seen_nodes.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, child_field(path, i))
        elif isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for knode, vnode in node.value:
                if not isinstance(knode, yaml.ScalarNode) or knode.tag == TAG_MERGE:
                    continue
                key = knode.value
                kline = knode.start_mark.line + 1
                child = child_field(path, key)
                if key in first:
                    root.problems.add(
                        kline,
                        child,
                        f"duplicate key {quote(key)} (first defined at line {first[key]}); "
                        "rename or remove one of them",
                    )
                else:
                    first[key] = kline
                    walk(vnode, child)

    walk(root.yaml, "")


class _TooDeep(Exception):
    def __init__(self, path: list[str], line: int):
        super().__init__(path, line)
        self.path = path
        self.line = line


class _DepthBoundLoader(yaml.SafeLoader):
    """SafeLoader whose (recursive) composer refuses collections nested beyond :data:`MAX_DEPTH`."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._path: list[str] = []

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if parent is None:
            segment = ""
        elif isinstance(index, int):
            segment = f"[{index}]"
        elif isinstance(index, yaml.ScalarNode):
            segment = child_field(".", index.value)[1:]
        else:
            segment = ".?"  # a key being composed, or a value under a complex key
        if len(self._path) >= MAX_DEPTH and not self.check_event(yaml.ScalarEvent, yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # types-PyYAML leaves Parser.peek_event unannotated
            raise _TooDeep([*self._path, segment], event.start_mark.line + 1)
        self._path.append(segment)
        try:
            return super().compose_node(parent, index)
        finally:
            self._path.pop()


def _too_deep_field(path: list[str]) -> str:
    """The first few levels of a too-deep path: ``a.b[0].c...`` (the full one is ~64 levels)."""
    shown = "".join(path[:6]).lstrip(".")
    return (shown or ROOT_FIELD) + ("..." if len(path) > 6 else "")


def parse_yaml(text: str, file: str) -> Node:
    """Compose ``text`` (reported as ``file``) into a located root :class:`Node`.

    Raises :class:`InputFileError` (one problem) for a YAML syntax error or an empty document.
    Duplicate-key problems are already on ``node.problems``; call ``raise_if_any()`` when done.
    """
    problems = Problems(file)
    loader: _DepthBoundLoader | None = None
    try:
        loader = _DepthBoundLoader(text)  # the reader rejects control characters right here
        node = loader.get_single_node()
    except _TooDeep as exc:
        problems.add(
            exc.line,
            _too_deep_field(exc.path),
            f"nested more than {MAX_DEPTH} levels deep; no topology or scenario value needs that, so flatten it",
        )
        raise InputFileError(problems.items) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = "; ".join(one_line(p) for p in (exc.context, exc.problem) if p)
        problems.add(
            line,
            "(yaml)",
            f"invalid YAML: {what or 'syntax error'}; fix the syntax here "
            "(indent with spaces, quote values containing ': ' or '#', close brackets and quotes)",
        )
        raise InputFileError(problems.items) from None
    except yaml.YAMLError as exc:  # ReaderError (control characters) and friends
        problems.add(1, "(yaml)", f"invalid YAML: {one_line(str(exc))}; remove the offending characters")
        raise InputFileError(problems.items) from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        problems.add(1, ROOT_FIELD, "the file is empty (or only comments); write the document's fields")
        problems.raise_if_any()
    assert node is not None
    root = Node(problems, node, "")
    _check_duplicates(root)
    return root


def load_yaml(path: str | os.PathLike[str]) -> Node:
    """Read and compose the YAML file at ``path`` (reported exactly as the caller spelled it).

    Raises :class:`InputFileError` if the file cannot be read (not found, a directory, not UTF-8),
    has a YAML syntax error, or is empty. Everything else is left to the caller's validation.
    """
    file = str(path)
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise InputFileError([Problem(file, 1, "(file)", "cannot read: no such file; check the path")]) from None
    except IsADirectoryError:
        raise InputFileError([Problem(file, 1, "(file)", "cannot read: it is a directory; give the path of a YAML file")]) from None
    except UnicodeDecodeError as exc:
        raise InputFileError(
            [Problem(file, 1, "(file)", f"cannot read: not UTF-8 text ({one_line(str(exc.reason))}); save the file as UTF-8")]
        ) from None
    except OSError as exc:
        raise InputFileError([Problem(file, 1, "(file)", f"cannot read: {one_line(exc.strerror or str(exc))}; check the path and its permissions")]) from None
    return parse_yaml(text, file)


_SUBSCRIPTION = re.compile(r"^subscriptions\[(?P<topic>[^\]]+?)->(?P<queue>[^\]]+)\](?:\.(?P<rest>.+))?$")


def _child(node: Node | None, key: str) -> Node | None:
    if node is None:
        return None
    for name, _, value in node.entries() or []:
        if name == key:
            return value
    return None


def _scalar(node: Node | None) -> str | None:
    return node.raw if node is not None and node.kind == "scalar" else None


def line_resolver(root: Node) -> Callable[[str], int]:
    """``field → line`` for a dotted field of the document (``buckets.payloads.readers``,
    ``subscriptions[orders->b-eu].filter_policy``): the nearest existing node's line; 1 when
    nothing matches. For checks of a later stage that name fields, not nodes."""

    def line_of(field: str) -> int:
        sub = _SUBSCRIPTION.match(field)
        if sub:
            subs = _child(root, "subscriptions")
            for item in (subs.items() if subs is not None and subs.kind == "list" else None) or []:
                endpoint = _scalar(_child(item, "queue")) or _scalar(_child(item, "function"))
                if _scalar(_child(item, "topic")) == sub["topic"] and endpoint == sub["queue"]:
                    deeper = _child(item, sub["rest"]) if sub["rest"] else None
                    return (deeper or item).line
            return 1
        node: Node | None = root
        line = 1
        for part in field.split("."):
            node = _child(node, part)
            if node is None:
                break
            line = node.line
        return line

    return line_of
