"""Issue 21 item 1: harmless redundancy is a warning, not an error. The owner listed among a topic's
publishers, a queue's producers, a bucket's readers or writers or a key's users, or an account listed
twice, loads (the entry is left out) with a ``file:line: field: warning: …`` problem; a warning
beside an error travels with it and never counts as one."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ERROR, WARNING, InputFileError, Problem
from harness.topology.loader import load_topology

HEAD = """\
name: t
accounts:
  A: {id: "111111111111"}
  B: {id: "222222222222"}
regions: [us-east-1]
"""


def _load(tmp_path: Path, text: str):  # noqa: ANN202 - a Topology
    path = tmp_path / "t.topology.yaml"
    path.write_text(text)
    return load_topology(path)


@pytest.mark.parametrize(
    ("section", "field", "role"),
    [
        ("topics:\n  orders:\n    account: A\n    region: us-east-1\n    publishers: [B, A]\n", "topics.orders.publishers[1]", "topic"),
        ("queues:\n  q:\n    account: B\n    region: us-east-1\n    producers: [B]\n", "queues.q.producers[0]", "queue"),
        ("buckets:\n  payloads:\n    account: A\n    region: us-east-1\n    readers: [A, B]\n", "buckets.payloads.readers[0]", "bucket"),
        ("buckets:\n  payloads:\n    account: A\n    region: us-east-1\n    writers: [A]\n", "buckets.payloads.writers[0]", "bucket"),
        ("keys:\n  k:\n    account: A\n    region: us-east-1\n    decrypt: [A]\n", "keys.k.decrypt[0]", "key"),
    ],
    ids=["publisher", "producer", "reader", "writer", "key-user"],
)
def test_the_owner_listed_is_a_warning_and_the_topology_loads(tmp_path: Path, section: str, field: str, role: str) -> None:
    topo = _load(tmp_path, HEAD + section)
    assert [(w.line, w.field, w.level) for w in topo.warnings] == [(10, field, WARNING)]
    assert f"owns this {role} and already has access" in topo.warnings[0].message
    assert f": {field}: warning: " in str(topo.warnings[0])
    listed = {"topic": lambda: topo.topics["orders"].publishers, "queue": lambda: topo.queues["q"].producers,
              "bucket": lambda: topo.buckets["payloads"].readers + topo.buckets["payloads"].writers,
              "key": lambda: topo.keys["k"].decrypt}[role]()
    owner = {"topic": "A", "queue": "B", "bucket": "A", "key": "A"}[role]
    assert owner not in listed  # left out: the owner has access anyway


def test_an_account_listed_twice_is_a_warning(tmp_path: Path) -> None:
    topo = _load(tmp_path, HEAD + "topics:\n  orders:\n    account: A\n    region: us-east-1\n    publishers:\n      - B\n      - B\n")
    assert topo.topics["orders"].publishers == ("B",)
    [w] = topo.warnings
    assert (w.line, w.field, w.level) == (12, "topics.orders.publishers[1]", WARNING) and "listed twice (first at line 11)" in w.message


def test_a_warning_beside_an_error_travels_with_it_and_is_not_counted(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as err:
        _load(tmp_path, HEAD + "topics:\n  orders: {account: A, region: us-east-1, publishers: [A]}\n  bad: {account: Z, region: us-east-1}\n")
    assert [p.level for p in err.value.problems] == [WARNING, ERROR]
    assert [p.field for p in err.value.errors] == ["topics.bad.account"]
    assert "warning: " in str(err.value).splitlines()[0] and "warning: " not in str(err.value).splitlines()[1]


def test_a_problem_says_warning_only_when_it_is_one() -> None:
    assert str(Problem("f.yaml", 3, "x", "m")) == "f.yaml:3: x: m"
    assert str(Problem("f.yaml", 3, "x", "m", WARNING)) == "f.yaml:3: x: warning: m"


def test_the_reference_topology_has_no_warning() -> None:
    from harness.paths import REFERENCE_TOPOLOGY

    assert load_topology(REFERENCE_TOPOLOGY).warnings == ()
