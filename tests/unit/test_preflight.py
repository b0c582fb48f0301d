"""Issue 21 items 1 and 5, the pure parts: ``$or`` filter policies as SNS reads them, sizes in
binary units only, the access step's refusals found at validation with the run's own words and
the fix, and what goes through S3."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import InputFileError
from harness.scenario.format.loader import load_scenario
from harness.scenario.format.units import unit_problem
from harness.topology.loader import load_topology

# -- $or filter policies -------------------------------------------------------------------------

HEAD = 'name: t\naccounts:\n  A: {id: "111111111111"}\nregions: [us-east-1]\ntopics:\n  t: {account: A, region: us-east-1}\n' \
       "queues:\n  q: {account: A, region: us-east-1}\nsubscriptions:\n  - topic: t\n    queue: q\n"


def _policy(tmp_path: Path, policy: str, scope: str = "") -> object:
    path = tmp_path / "t.topology.yaml"
    path.write_text(HEAD + (f"    filter_policy_scope: {scope}\n" if scope else "") + f"    filter_policy: {policy}  # <-\n")
    return load_topology(path).subscriptions[0].filter_policy


@pytest.mark.parametrize(
    ("policy", "scope"),
    [
        ('{"$or": [{kind: [invoice]}, {region: [eu]}]}', ""),  # top-level $or
        ('{source: [a], "$or": [{metricName: [CPU]}, {namespace: [EC2]}]}', ""),  # beside other keys
        ('{source: [a], "$or": [{m: [x, y]}, {t: [M], "$or": [{id: [1, 2]}, {space: [1, 2, 3]}]}]}', ""),  # nested OR (AWS's example)
        ('{detail: {"$or": [{state: [ALARM]}, {kind: [{prefix: x}]}]}}', "MessageBody"),  # inside a nested property
        ('{"$or": [{prefix: abc}, {suffix: x}]}', ""),  # operator keywords: SNS reads an attribute named $or
    ],
    ids=["top-level", "beside-keys", "nested-or", "body-nested", "attribute-named-or"],
)
def test_or_filter_policies_are_accepted_as_sns_accepts_them(tmp_path: Path, policy: str, scope: str) -> None:
    assert isinstance(_policy(tmp_path, policy, scope), dict)


@pytest.mark.parametrize(
    ("policy", "field", "fragment"),
    [
        ('{"$or": [{kind: [invoice]}]}', "subscriptions[0].filter_policy.$or", "needs at least 2 alternatives"),
        # combinations of an $or are the sum of its alternatives': (6 + 6) x 5 x 5 = 300
        ('{"$or": [{a: [1, 2, 3, 4, 5, 6]}, {b: [1, 2, 3, 4, 5, 6]}], c: [1, 2, 3, 4, 5], d: [1, 2, 3, 4, 5]}',
         "subscriptions[0].filter_policy", "has 300 value combinations"),
        ('{"$or": [{a: [1]}, {b: [1]}, {c: [1]}], d: [1], e: [1], f: [1]}', "subscriptions[0].filter_policy", "has 6 attributes"),
        ('{"$or": [{kind: [{colour: red}]}, {b: [1]}]}', "subscriptions[0].filter_policy.$or[0].kind[0].colour", "unknown filter operator"),
        ('{"$or": [{nested: {x: [1]}}, {b: [1]}]}', "subscriptions[0].filter_policy.$or[0].nested", "filter_policy_scope: MessageBody"),
    ],
    ids=["one-alternative", "too-many-combinations", "too-many-keys", "bad-operator-in-alternative", "nested-in-attribute-scope"],
)
def test_or_filter_policies_are_held_to_the_limits(tmp_path: Path, policy: str, field: str, fragment: str) -> None:
    with pytest.raises(InputFileError) as err:
        _policy(tmp_path, policy)
    [p] = err.value.errors
    assert (p.line, p.field) == (12, field) and fragment in p.message, str(p)


def test_the_same_key_in_two_alternatives_counts_once(tmp_path: Path) -> None:
    policy = '{"$or": [{a: [1], b: [1]}, {a: [2], c: [1]}], d: [1], e: [1]}'  # a, b, c, d, e: 5 keys
    assert _policy(tmp_path, policy) is not None


# -- sizes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "fix"),
    [("1MB", "write 1MiB, or 1000000 for exactly 1,000,000 bytes"), ("2 GB", "write 2GiB"), ("5kb", "write 5KiB"),
     ("sns_limit+1KB", "write sns_limit+1KiB"), ("1mib", "units are case-sensitive; write 1MiB")],
)
def test_decimal_units_are_refused_with_the_binary_spelling(text: str, fix: str) -> None:
    why = unit_problem(text)
    assert why is not None and fix in why


def test_a_decimal_size_in_a_scenario_is_refused_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "t.topology.yaml").write_text(Path("scenarios/reference.topology.yaml").read_text())
    path = tmp_path / "s.scenario.yaml"
    path.write_text("name: s\ntopology: t.topology.yaml\nsend:\n  from: A/us-east-1\n  queue: b-eu\n  sizes: [1KiB, 1MB]\n"
                    "expect:\n  - {queue: b-eu, within: 5s}\n")
    with pytest.raises(InputFileError) as err:
        load_scenario(path)
    [p] = err.value.errors
    assert (p.line, p.field) == (6, "send.sizes[1]") and "decimal unit" in p.message and "1MiB" in p.message
