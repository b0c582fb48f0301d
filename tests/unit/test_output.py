"""Issue 21 item 2, the pure part: GitHub workflow commands escaped as the runner requires
(@actions/core: ``%``, CR, LF in the message; those and ``:`` ``,`` in properties), a problem as
an annotation and as a JSON record, paths relative to the workspace."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from harness.cli.output import Output, annotation, escape_data, escape_property, problem_annotation, problem_record, workspace_path
from harness.errors import WARNING, Problem


def test_message_and_property_escaping() -> None:
    assert escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_an_annotation_carries_file_line_and_title_escaped() -> None:
    line = annotation("error", "bad: x\ny", file="d/f,1.yaml", line=3, title="expect[0].queue")
    assert line == "::error file=d/f%2C1.yaml,line=3,title=expect[0].queue::bad: x%0Ay"
    assert annotation("warning", "plain") == "::warning::plain"


def test_a_problem_as_annotation_and_record(tmp_path: Path) -> None:
    p = Problem(str(tmp_path / "s.scenario.yaml"), 7, "send.sizes[1]", 'refused: "1MB"', WARNING)
    assert problem_annotation(p, root=tmp_path) == '::warning file=s.scenario.yaml,line=7,title=send.sizes[1]::refused: "1MB"'
    assert problem_record(p) == {"file": p.file, "line": 7, "field": "send.sizes[1]", "message": 'refused: "1MB"', "level": "warning"}


def test_paths_outside_the_workspace_stay_as_they_are(tmp_path: Path) -> None:
    assert workspace_path("/elsewhere/x.yaml", tmp_path) == "/elsewhere/x.yaml"
    assert workspace_path("rel/x.yaml", tmp_path) == "rel/x.yaml"


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_each_format_puts_problems_where_it_says(fmt: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    o = Output(fmt, "validate", out, err)
    o.text("ok line")
    o.document(False, [Problem("f.yaml", 2, "x", "wrong")], extra=1)
    if fmt == "json":
        assert json.loads(out.getvalue()) == {"command": "validate", "ok": False, "extra": 1,
                                              "problems": [{"file": "f.yaml", "line": 2, "field": "x", "message": "wrong", "level": "error"}]}
        assert err.getvalue() == ""
    elif fmt == "github":
        assert out.getvalue() == "ok line\n::error file=f.yaml,line=2,title=x::wrong\n" and err.getvalue() == ""
    else:
        assert out.getvalue() == "ok line\n" and err.getvalue() == "f.yaml:2: x: wrong\n"
