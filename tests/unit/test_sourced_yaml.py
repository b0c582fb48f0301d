"""Direct tests of the generic YAML-with-positions reader (harness.topology.sourced_yaml)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.errors import InputFileError
from harness.topology.sourced_yaml import Node, Problems, load_yaml, parse_yaml

DOC = """\
# a comment
top:
  a: 1
  nested:
    - x
    - {k: v}
flag: true
"""


def lines(problems: Problems) -> list[str]:
    return [str(p) for p in problems]


def test_values_keep_their_lines_and_field_paths() -> None:
    root = parse_yaml(DOC, "doc.yaml")
    top = root.mapping(allowed=("top", "flag"))
    assert top is not None
    assert (top["top"].line, top["top"].field) == (2, "top")
    inner = top["top"].mapping()
    assert inner is not None
    assert (inner["a"].line, inner["a"].field, inner["a"].integer()) == (3, "top.a", 1)
    items = inner["nested"].items()
    assert items is not None
    assert [(i.line, i.field) for i in items] == [(5, "top.nested[0]"), (6, "top.nested[1]")]
    k = items[1].mapping()
    assert k is not None
    assert (k["k"].location(), k["k"].string()) == ("doc.yaml:6: top.nested[1].k", "v")
    assert not root.problems


def test_duplicate_keys_are_reported_at_the_repeat_and_first_value_wins() -> None:
    root = parse_yaml("a: 1\nb:\n  x: 1\n  x: 2\na: 3\n", "d.yaml")
    assert lines(root.problems) == [
        'd.yaml:4: b.x: duplicate key "x" (first defined at line 3); rename or remove one of them',
        'd.yaml:5: a: duplicate key "a" (first defined at line 1); rename or remove one of them',
    ]
    top = root.mapping()
    assert top is not None and top["a"].integer() == 1


def test_unknown_key_lists_allowed_keys_and_suggests() -> None:
    root = parse_yaml("visibilty_timeout: 3\n", "f.yaml")
    root.mapping(allowed=("visibility_timeout", "retention"))
    assert lines(root.problems) == [
        'f.yaml:1: visibilty_timeout: unknown field "visibilty_timeout"; allowed fields here: '
        "visibility_timeout, retention; did you mean 'visibility_timeout'?"
    ]


def test_missing_required_key_is_reported_at_the_parent_line() -> None:
    root = parse_yaml("outer:\n  inner:\n    a: 1\n", "f.yaml")
    outer = root.mapping()
    assert outer is not None
    inner = outer["outer"].mapping()
    assert inner is not None
    inner["inner"].mapping(required=("a", "b"), required_hints={"b": "add b: 2"})
    assert lines(root.problems) == ['f.yaml:2: outer.inner.b: missing required field "b"; add b: 2']


@pytest.mark.parametrize(
    ("text", "expected", "message"),
    [
        ("v: true", True, None),
        ("v: False", False, None),
        ("v: yes", None, "yes is ambiguous YAML; write true"),
        ("v: off", None, "off is ambiguous YAML; write false"),
        ('v: "true"', None, '"true" is a quoted string; write true without quotes'),
        ("v: 1", None, "expected true or false but found the number 1"),
        ("v:", None, "expected true or false but found an empty value"),
    ],
)
def test_booleans_are_strict(text: str, expected: bool | None, message: str | None) -> None:
    root = parse_yaml(text, "b.yaml")
    fields = root.mapping()
    assert fields is not None
    assert fields["v"].boolean() is expected
    if message is None:
        assert not root.problems
    else:
        (problem,) = root.problems
        assert (problem.line, problem.field) == (1, "v")
        assert problem.message.startswith(message)


@pytest.mark.parametrize(
    ("text", "expected", "message"),
    [
        ("v: 42", 42, None),
        ("v: 1_0", 10, None),
        ("v: 030", None, "030 is not a plain decimal number"),
        ("v: 0x1e", None, "0x1e is not a plain decimal number"),
        ("v: 1:30", None, "1:30 is not a plain decimal number"),
        ('v: "42"', None, '"42" is quoted text, not a number; write it without quotes: 42'),
        ("v: 4.5", None, "expected a whole number between 0 and 100 but found the number 4.5"),
        ("v: 101", None, "101 is out of range; write a whole number between 0 and 100"),
        ("v: [1]", None, "expected a whole number between 0 and 100 but found a list"),
    ],
)
def test_integers_are_plain_decimal_and_bounded(text: str, expected: int | None, message: str | None) -> None:
    root = parse_yaml(text, "i.yaml")
    fields = root.mapping()
    assert fields is not None
    assert fields["v"].integer(0, 100) == expected
    if message is None:
        assert not root.problems
    else:
        (problem,) = root.problems
        assert problem.message.startswith(message)


def test_strings_reject_non_strings_and_check_patterns() -> None:
    root = parse_yaml("a: 12\nb: {x: 1}\nc: Bad\nd: ok\ne:\n", "s.yaml")
    f = root.mapping()
    assert f is not None
    assert f["a"].string() is None
    assert f["b"].string(what="queue name") is None
    assert f["c"].string(pattern=r"[a-z]+", what="name", hint="use lowercase letters") is None
    assert f["d"].string(pattern=r"[a-z]+") == "ok"
    assert f["e"].string() is None
    assert lines(root.problems) == [
        's.yaml:1: a: expected a string but found the number 12; quote it to keep it as text: "12"',
        "s.yaml:2: b: expected a queue name but found a mapping",
        's.yaml:3: c: "Bad" is not a valid name; use lowercase letters',
        "s.yaml:5: e: expected a string but found an empty value",
    ]


def test_wrong_container_types_become_problems() -> None:
    root = parse_yaml("m: [1, 2]\nl: {a: 1}\n", "w.yaml")
    f = root.mapping()
    assert f is not None
    assert f["m"].mapping(hint="write m: {a: 1}") is None
    assert f["l"].items() is None
    assert lines(root.problems)[0] == (
        "w.yaml:1: m: expected a mapping (key: value lines) but found a list; write m: {a: 1}"
    )
    assert lines(root.problems)[1].startswith("w.yaml:2: l: expected a list but found a mapping")


def test_to_python_converts_free_form_values() -> None:
    root = parse_yaml("p: {kind: [invoice, 3, true, null, 1.5], n: {numeric: ['>', 0]}, 7: [x]}\n", "p.yaml")
    f = root.mapping()
    assert f is not None
    assert f["p"].to_python() == {
        "kind": ["invoice", 3, True, None, 1.5],
        "n": {"numeric": [">", 0]},
        "7": ["x"],
    }
    assert not root.problems


def test_string_list_reports_repeats() -> None:
    root = parse_yaml("l: [a, b, a]\n", "l.yaml")
    f = root.mapping()
    assert f is not None
    assert [v for v, _ in f["l"].string_list() or []] == ["a", "b"]
    assert lines(root.problems) == ['l.yaml:1: l[2]: "a" is listed twice (first at line 1); remove the repeat']


def test_problems_sort_by_line_and_raise_together() -> None:
    problems = Problems("x.yaml")
    problems.add(9, "b", "second")
    problems.add(2, "a", "first")
    problems.add(2, "a", "first")  # exact repeats are dropped
    with pytest.raises(InputFileError) as exc:
        problems.raise_if_any()
    assert str(exc.value) == "x.yaml:2: a: first\nx.yaml:9: b: second"


def test_syntax_error_is_one_problem_with_the_error_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(InputFileError) as exc:
        load_yaml(path)
    (problem,) = exc.value.problems
    assert (problem.file, problem.line, problem.field) == (str(path), 3, "(yaml)")
    assert problem.message.startswith("invalid YAML: ")


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n"])
def test_empty_document_is_a_problem_at_line_1(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text(text)
    with pytest.raises(InputFileError) as exc:
        load_yaml(path)
    assert [str(p) for p in exc.value.problems] == [
        f"{path}:1: (document): the file is empty (or only comments); write the document's fields"
    ]


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(InputFileError) as exc:
        load_yaml(missing)
    assert str(exc.value) == f"{missing}:1: (file): cannot read: no such file; check the path"
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"a: \xff\n")
    with pytest.raises(InputFileError) as exc:
        load_yaml(binary)
    assert str(exc.value).startswith(f"{binary}:1: (file): cannot read: not UTF-8 text")


def test_node_repr_and_location() -> None:
    root = parse_yaml("a: [1]\n", "r.yaml")
    assert isinstance(root, Node)
    assert root.field == "(document)"
    assert root.location() == "r.yaml:1: (document)"


# ---- issue 9 #4: deep nesting is one problem, never a RecursionError ----------------------------

PROBLEM_LINE = r"^[^:]+:\d+: [^:]+: .+"


@pytest.mark.parametrize(
    "text",
    [
        "a:\n" + "".join("  " * (i + 1) + "k:\n" for i in range(400)) + "  " * 401 + "x\n",  # block mappings
        "a: " + "[" * 500 + "]" * 500 + "\n",  # flow lists
        "a: " + "{k: " * 500 + "x" + "}" * 500 + "\n",  # flow mappings
        "a:\n" + "".join("  " * i + "- \n" for i in range(1, 300)),  # block lists
    ],
    ids=["block-mappings", "flow-lists", "flow-mappings", "block-lists"],
)
def test_deep_nesting_is_one_problem(text: str) -> None:
    with pytest.raises(InputFileError) as err:
        parse_yaml(text, "deep.yaml")
    [problem] = err.value.problems
    assert re.match(PROBLEM_LINE, str(problem)), str(problem)
    assert problem.field.startswith("a") and "nested more than" in problem.message


def test_nesting_up_to_the_limit_is_fine() -> None:
    root = parse_yaml("a: " + "[" * 60 + "]" * 60 + "\n", "ok.yaml")
    assert not root.problems


def test_aliases_cannot_blow_up_a_free_form_value() -> None:
    anchors = "".join(f"  - &a{i} [*a{i - 1}, *a{i - 1}]\n" for i in range(1, 40))
    root = parse_yaml(f"defs:\n  - &a0 [x]\n{anchors}value: *a39\n", "laughs.yaml")
    top = root.mapping()
    assert top is not None
    assert top["value"].to_python() is None
    [problem] = root.problems.items
    assert problem.field == "value" and "aliases" in problem.message


def test_keys_that_would_break_the_problem_line_are_escaped_in_fields() -> None:
    root = parse_yaml('a:\n  "x:y": 1\n  "x:y": 2\n  "": 3\n', "f.yaml")
    inner = root.mapping()
    assert inner is not None
    inner["a"].mapping(allowed=("b",))
    for problem in root.problems:
        assert re.match(PROBLEM_LINE, str(problem)), str(problem)
    assert {p.field for p in root.problems} == {'a["x\\u003ay"]', 'a[""]'}
