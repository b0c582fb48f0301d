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
        (HEAD + "buckets:\n  central:\n    account: D\n    region: us-east-1\n    writers: [Z]  # <-\n", "buckets.central.writers[0]", 'unknown account "Z"'),
        (HEAD + "buckets:\n  central: {account: D, region: us-east-1, writers: A}  # <-\n", "buckets.central.writers", "write a list of account names"),
    ],
    ids=["writer-unknown", "writers-not-a-list"],
)
def test_bad_writers(tmp_path: Path, text: str, field: str, fragment: str) -> None:
    _, got_field, message = problem(tmp_path, text)
    assert got_field == field and fragment in message, message


KEYS = HEAD + """\
keys:
  payload-key: {account: D, region: us-east-1, encrypt: [A], decrypt: [B]}
  queue-key: {account: B, region: eu-west-1}
"""


def test_keys_and_their_references_load(tmp_path: Path) -> None:
    topo = load(tmp_path, KEYS + (
        "topics:\n  orders: {account: A, region: us-east-1}\n"
        "queues:\n  b-eu: {account: B, region: eu-west-1, kms_key: queue-key}\n"
        "buckets:\n  central: {account: D, region: us-east-1, writers: [A], readers: [B], kms_key: payload-key}\n"
        "subscriptions:\n  - {topic: orders, queue: b-eu}\n"
    ))
    key = topo.keys["payload-key"]
    assert (key.account, key.region, key.encrypt, key.decrypt) == ("D", "us-east-1", ("A",), ("B",))
    assert topo.buckets["central"].kms_key == "payload-key" and topo.queues["b-eu"].kms_key == "queue-key"
    assert topo.topics["orders"].kms_key is None
    assert key.may("D", "decrypt") and key.may("B", "decrypt") and not key.may("B", "encrypt")


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        (KEYS + "buckets:\n  central:\n    account: D\n    region: us-east-1\n    kms_key: paylod-key  # <-\n",
         "buckets.central.kms_key", "unknown key \"paylod-key\"; use one of the keys defined under keys: (payload-key, queue-key); did you mean 'payload-key'?"),
        (KEYS + "queues:\n  q:\n    account: B\n    region: us-east-1\n    kms_key: queue-key  # <-\n",
         "queues.q.kms_key", 'key "queue-key" is in eu-west-1 but this queue is in us-east-1; KMS keys are regional'),
        (KEYS + "buckets:\n  central:\n    account: D\n    region: us-east-1\n    readers: [A]\n    kms_key: payload-key  # <-\n",
         "buckets.central.kms_key", 'key "payload-key" does not let reader A decrypt; add A to keys.payload-key.decrypt'),
        (KEYS + "buckets:\n  central:\n    account: D\n    region: us-east-1\n    writers: [B]\n    kms_key: payload-key  # <-\n",
         "buckets.central.kms_key", 'does not let writer B encrypt; add B to keys.payload-key.encrypt'),
        (KEYS + "queues:\n  q:\n    account: A\n    region: eu-west-1\n    kms_key: queue-key  # <-\n",
         "queues.q.kms_key", 'does not let the owner (its consumers receive) A decrypt; add A to keys.queue-key.decrypt'),
        (KEYS + "  Bad_Key: {account: A, region: us-east-1}  # <-\n", "keys.Bad_Key", "is not a valid key name"),
        (KEYS + "  k3: {account: A, region: us-east-1, rotate: true}  # <-\n", "keys.k3.rotate", 'unknown field "rotate"'),
        (KEYS + "  k3: {account: A}  # <-\n", "keys.k3.region", 'missing required field "region"'),
        (KEYS + "  k3: {account: A, region: ap-south-1}  # <-\n", "keys.k3.region", "is not in the top-level regions list"),
        (KEYS + "topics:\n  orders:\n    account: A\n    region: us-east-1\n    publishers: [B]\n    kms_key: payload-key  # <-\n",
         "topics.orders.kms_key", "does not let publisher B encrypt; add B to keys.payload-key.encrypt"),
    ],
    ids=["unknown-key", "key-in-another-region", "reader-cannot-decrypt", "writer-cannot-encrypt", "queue-owner-cannot-decrypt",
         "bad-key-name", "unknown-key-field", "key-without-region", "key-region-unlisted", "publisher-cannot-encrypt"],
)
def test_bad_keys(tmp_path: Path, text: str, field: str, fragment: str) -> None:
    with pytest.raises(InputFileError) as err:
        load(tmp_path, text)
    marked = [i for i, line in enumerate(text.splitlines(), 1) if MARK in line][0]
    hits = [p for p in err.value.problems if p.field == field]
    assert hits, [str(p) for p in err.value.problems]
    assert hits[0].line == marked and fragment in hits[0].message, str(hits[0])
    assert all("\n" not in str(p) for p in err.value.problems)
