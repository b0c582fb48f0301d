"""Issue 21 items 1 and 5, the pure parts: ``$or`` filter policies as SNS reads them, sizes in
binary units only, the access step's refusals found at validation with the run's own words and
the fix, and what goes through S3."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from harness.access.deployment import Deployment
from harness.access.static import rendered_policies
from harness.access.verdicts import judge
from harness.errors import InputFileError
from harness.scenario.execute.access_step import AccessCheck
from harness.scenario.expectations import Expect
from harness.scenario.format.loader import load_scenario
from harness.scenario.format.preflight import scenario_hops
from harness.scenario.format.routes import EITHER, INLINE, S3, send_routes
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


# -- the access step's refusals, at validation -----------------------------------------------------

TOPOLOGY = """\
name: shop
accounts:
  A: {id: "111111111111"}
  B: {id: "222222222222"}
  C: {id: "333333333333"}
  D: {id: "444444444444"}
regions: [us-east-1]
keys:
  pk: {account: A, region: us-east-1, decrypt: [B]}
topics:
  orders: {account: A, region: us-east-1}
queues:
  b-q: {account: B, region: us-east-1}
  c-q: {account: C, region: us-east-1}
  d-q: {account: D, region: us-east-1}
buckets:
  payloads: {account: D, region: us-east-1, writers: [A], readers: [B], kms_key: pk}
subscriptions:
  - {topic: orders, queue: b-q}
  - {topic: orders, queue: c-q}
  - {topic: orders, queue: d-q}
"""


def _scenario(tmp_path: Path, expect: str, size: str = "5MiB"):  # noqa: ANN202 - (scenario or error, path)
    (tmp_path / "shop.topology.yaml").write_text(TOPOLOGY)
    path = tmp_path / "s.scenario.yaml"
    path.write_text(f"name: s\ntopology: shop.topology.yaml\nsend: {{from: A/us-east-1, topic: orders, size: {size}}}\nexpect:\n"
                    + textwrap.indent(textwrap.dedent(expect), "  "))
    try:
        return load_scenario(path, preflight=True)
    except InputFileError as err:
        return err


def test_consumers_without_the_grants_the_run_needs_are_refused_with_the_fix(tmp_path: Path) -> None:
    err = _scenario(tmp_path, """\
        - {queue: b-q, within: 30s, delete_payloads: true}
        - {queue: c-q, within: 30s}
        - {queue: d-q, within: 30s}
        """)
    assert isinstance(err, InputFileError)
    found = [(p.line, p.field, p.message.split("; ")[-1]) for p in err.errors]
    assert found == [
        (5, "expect[0].delete_payloads", "set buckets.payloads.readers_may_delete: true in the topology, or remove delete_payloads here"),
        (6, "expect[1].queue", "add C to buckets.payloads.readers in the topology"),
        (6, "expect[1].queue", "add C to keys.pk.decrypt in the topology"),
        (7, "expect[2].queue", "add D to keys.pk.decrypt in the topology"),  # the bucket's owner, but not the key's
    ]


def test_validation_says_what_the_access_step_would_say(tmp_path: Path) -> None:
    """Same words: each problem starts with the line the run's access step prints for that hop
    (AccessCheck.failures, judged here against the policies the modules would write)."""
    err = _scenario(tmp_path, "- {queue: c-q, within: 30s}\n")
    assert isinstance(err, InputFileError)
    ok = _scenario(tmp_path, "- {queue: b-q, within: 30s}\n")
    assert not isinstance(ok, InputFileError), str(ok)
    as_if = dataclasses.replace(ok, expectations=(Expect("c-q", 30.0),))  # what the refused file asks for
    topo = load_topology(tmp_path / "shop.topology.yaml")
    dep = Deployment.from_topology(topo)
    hops = scenario_hops(dep, as_if, [s.queue for s in topo.subscriptions], as_if.send)
    run_lines = AccessCheck(judge(hops, rendered_policies(topo, dep))).failures
    assert len(run_lines) == len(err.errors) == 2
    for line, problem in zip(run_lines, err.errors, strict=True):
        assert problem.message.startswith(line + "; "), (line, problem.message)


def test_only_validate_refuses_first_the_run_judges_the_policies_applied_then(tmp_path: Path) -> None:
    """Without preflight (run, e2e, change, load) the scenario loads, and the access step judges it
    against the policies read back then (which may have been edited since): the change example that
    drops a reader is rejected by its failing scenario, not refused before the change."""
    assert isinstance(_scenario(tmp_path, "- {queue: c-q, within: 30s}\n"), InputFileError)
    assert load_scenario(tmp_path / "s.scenario.yaml").name == "s"


def test_nothing_offloaded_means_no_payload_grant_is_needed(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, "- {queue: c-q, within: 30s}\n", size="1KiB")
    assert not isinstance(scenario, InputFileError), str(scenario)


def test_payload_deleted_after_ack_without_a_deleting_consumer_is_a_warning(tmp_path: Path) -> None:
    """The run's check would fail (nobody deletes); a warning, so the run's own check stays testable."""
    from harness.scenario.format.loader import check_scenario_files

    (tmp_path / "t.topology.yaml").write_text(Path("scenarios/reference.topology.yaml").read_text())
    path = tmp_path / "s.scenario.yaml"
    path.write_text("name: s\ntopology: t.topology.yaml\nsend: {from: A/us-east-1, queue: b-eu, size: 2MiB}\n"
                    "expect:\n  - {queue: b-eu, within: 5s}\npayload_deleted_after_ack: true\n")
    scenarios, problems = check_scenario_files([path])
    assert len(scenarios) == 1
    assert [(p.line, p.field, p.level) for p in problems] == [(6, "payload_deleted_after_ack", "warning")]
    assert "add delete_payloads: true to expect[0]" in problems[0].message


# -- what goes through S3 --------------------------------------------------------------------------

def test_routes_say_which_sizes_go_through_s3_and_where(tmp_path: Path) -> None:
    (tmp_path / "t.topology.yaml").write_text(Path("scenarios/reference.topology.yaml").read_text())
    path = tmp_path / "s.scenario.yaml"
    path.write_text("name: s\ntopology: t.topology.yaml\nsends:\n"
                    "  - {from: A/us-east-1, topic: orders, sizes: [1KiB, sns_limit, sns_limit+1, 256KiB, 0, 5MiB]}\n"
                    "  - {from: A/us-east-1, queue: b-eu, size: 1KiB, offload: always}\n"
                    "expect:\n  - {queue: b-eu, within: 5s}\n")
    scenario = load_scenario(path)
    first, second = send_routes(scenario, load_topology(tmp_path / "t.topology.yaml"))
    assert [s.route for s in first.sizes] == [INLINE, INLINE, S3, S3, S3, S3]
    assert (first.field, first.bucket, first.threshold) == ("sends[0]", "payloads", 262_144)
    assert first.line() == ("sends[0] (A/us-east-1 → topic orders): 1KiB, sns_limit inline; sns_limit+1, 256KiB, 0, 5MiB through S3 "
                            "(bucket payloads, A/us-east-1)")
    assert [s.route for s in second.sizes] == [S3] and second.threshold == 1_048_576
    near = load_scenario(_write(tmp_path, "near", "{from: A/us-east-1, topic: orders, size: 262100}"))
    assert [s.route for s in send_routes(near, load_topology(tmp_path / "t.topology.yaml"))[0].sizes] == [EITHER]


def _write(tmp_path: Path, name: str, send: str) -> Path:
    path = tmp_path / f"{name}.scenario.yaml"
    path.write_text(f"name: {name}\ntopology: t.topology.yaml\nsend: {send}\nexpect:\n  - {{queue: b-eu, within: 5s}}\n")
    return path
