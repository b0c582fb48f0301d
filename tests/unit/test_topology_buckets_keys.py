"""Topology fields of issue 10 items 3 and 4: bucket ``writers`` (a central payload bucket) and
``keys`` (KMS keys referenced by topics, queues and buckets) — good and bad forms, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import InputFileError
from harness.topology.loader import load_topology

HEAD = """\
name: t
accounts:
  A: {id: "111111111111"}
  B: {id: "222222222222"}
  D: {id: "444444444444"}
regions: [us-east-1, eu-west-1]
"""
MARK = "# <-"


def load(tmp_path: Path, text: str):
    path = tmp_path / "t.topology.yaml"
    path.write_text(text)
    return load_topology(path)


def problem(tmp_path: Path, text: str) -> tuple[int, str, str]:
    with pytest.raises(InputFileError) as err:
        load(tmp_path, text)
    problems = err.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    [p] = problems
    marked = [i for i, line in enumerate(text.splitlines(), 1) if MARK in line]
    if marked:
        assert p.line == marked[0], str(p)
    assert "\n" not in str(p)
    return p.line, p.field, p.message


def test_central_bucket_with_writers_loads(tmp_path: Path) -> None:
    topo = load(tmp_path, HEAD + "buckets:\n  central: {account: D, region: us-east-1, writers: [A], readers: [B]}\n")
    assert topo.buckets["central"].writers == ("A",)
    assert topo.buckets["central"].readers == ("B",)


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        (HEAD + "buckets:\n  central:\n    account: D\n    region: us-east-1\n    writers: [A, D]  # <-\n", "buckets.central.writers[1]", '"D" owns this bucket and already has access'),
        (HEAD + "buckets:\n  central:\n    account: D\n    region: us-east-1\n    writers: [Z]  # <-\n", "buckets.central.writers[0]", 'unknown account "Z"'),
        (HEAD + "buckets:\n  central: {account: D, region: us-east-1, writers: A}  # <-\n", "buckets.central.writers", "write a list of account names"),
    ],
    ids=["writer-is-owner", "writer-unknown", "writers-not-a-list"],
)
def test_bad_writers(tmp_path: Path, text: str, field: str, fragment: str) -> None:
    _, got_field, message = problem(tmp_path, text)
    assert got_field == field and fragment in message, message
