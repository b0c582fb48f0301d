"""Malformed scenario files: every problem is one line naming the file, the line and the field."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from harness import paths
from harness.errors import InputFileError
from harness.scenario.format.loader import (
    discover_scenarios,
    load_scenario,
    parse_duration,
    parse_size,
    scenario_file_problems,
    validate_scenario_files,
)

GOOD_SEND = """\
send:
  from: A/us-east-1
  topic: orders
  count: 3
"""

# (id, scenario text, expected line, expected field, a fragment of the message)
CASES = [
    ("unknown-top-key", "name: x\ntopology: reference.topology.yaml\n" + GOOD_SEND + "expects: []\n", 7, "expects", "did you mean"),
    ("missing-send", "name: x\ntopology: reference.topology.yaml\nexpect: [{queue: b-eu, within: 1s}]\n", 1, "send", "missing required field"),
    ("bad-name", "name: Bad_Name\ntopology: reference.topology.yaml\n" + GOOD_SEND, 1, "name", "not a valid scenario name"),
    ("topology-missing", "name: x\ntopology: nowhere.yaml\n" + GOOD_SEND, 2, "topology", "not found"),
    ("unknown-account", "name: x\ntopology: reference.topology.yaml\nsend:\n  from: Z/us-east-1\n  topic: orders\n", 4, "send.from", "unknown account"),
    ("region-not-listed", "name: x\ntopology: reference.topology.yaml\nsend:\n  from: A/us-west-2\n  topic: orders\n", 4, "send.from", "not in the topology's regions"),
    ("both-topic-and-queue", "name: x\ntopology: reference.topology.yaml\nsend:\n  from: A/us-east-1\n  topic: orders\n  queue: b-eu\n", 3, "send", "exactly one target"),
    ("unknown-topic", "name: x\ntopology: reference.topology.yaml\nsend:\n  from: A/us-east-1\n  topic: order\n", 5, "send.topic", "did you mean"),
    ("not-a-publisher", "name: x\ntopology: reference.topology.yaml\nsend:\n  from: B/us-east-1\n  topic: orders\n", 4, "send.from", "may not publish"),
    ("not-a-producer", "name: x\ntopology: reference.topology.yaml\nsend:\n  from: C/us-east-1\n  queue: b-eu\n", 4, "send.from", "may not send"),
    ("bad-size", "name: x\ntopology: reference.topology.yaml\nsend:\n  from: A/us-east-1\n  topic: orders\n  size: 5 parsecs\n", 6, "send.size", "not a payload size"),
    ("size-too-big", "name: x\ntopology: reference.topology.yaml\nsend:\n  from: A/us-east-1\n  topic: orders\n  size: 3GiB\n", 6, "send.size", "between 0 and 2GiB"),
    ("count-zero", "name: x\ntopology: reference.topology.yaml\nsend:\n  from: A/us-east-1\n  topic: orders\n  count: 0\n", 6, "send.count", "out of range"),
    ("fifo-without-group", "name: x\ntopology: reference.topology.yaml\nsend:\n  from: A/us-east-1\n  topic: orders-fifo\n", 3, "send", "add group"),
    ("group-on-standard", "name: x\ntopology: reference.topology.yaml\nsend:\n  from: A/us-east-1\n  topic: orders\n  group: g1\n", 6, "send.group", "only to FIFO"),
    ("warmup-too-large", "name: x\ntopology: reference.topology.yaml\nsend:\n  from: A/us-east-1\n  topic: orders\n  count: 2\n  warmup: 2\n", 7, "send.warmup", "leaves no measured message"),
    ("bucket-not-writable", "name: x\ntopology: reference.topology.yaml\nsend:\n  from: B/eu-west-1\n  queue: c-us\n  size: 5MiB\n", 3, "send", "owns"),
    ("expect-not-subscribed", "name: x\ntopology: reference.topology.yaml\n" + GOOD_SEND + "expect:\n  - {queue: b-eu-dlq, within: 5s}\n", 8, "expect[0].queue", "not subscribed"),
    ("expect-unknown-queue", "name: x\ntopology: reference.topology.yaml\n" + GOOD_SEND + "expect:\n  - {queue: b-ue, within: 5s}\n", 8, "expect[0].queue", "did you mean"),
    ("bad-duration", "name: x\ntopology: reference.topology.yaml\n" + GOOD_SEND + "expect:\n  - queue: b-eu\n    within: soon\n", 9, "expect[0].within", "duration"),
    ("ordered-on-standard", "name: x\ntopology: reference.topology.yaml\n" + GOOD_SEND + "expect:\n  - queue: b-eu\n    within: 5s\n    ordered: true\n", 10, "expect[0].ordered", "standard queue"),
    ("latency-unknown-key", "name: x\ntopology: reference.topology.yaml\n" + GOOD_SEND + "expect:\n  - queue: b-eu\n    within: 5s\n    latency: {p95: 1s}\n", 10, "expect[0].latency.p95", "unknown field"),
    ("dead-letter-without-redrive", "name: x\ntopology: reference.topology.yaml\n" + GOOD_SEND + "dead_letter: {queue: b-ap, within: 10s}\n", 7, "dead_letter.queue", "no dead_letter"),
    ("rejections-too-few", "name: x\ntopology: reference.topology.yaml\n" + GOOD_SEND + "dead_letter: {queue: b-eu, rejections: 1, within: 10s}\n", 7, "dead_letter.rejections", "never reach"),
    ("deleted-with-fanout", "name: x\ntopology: reference.topology.yaml\n" + GOOD_SEND + "expect:\n  - {queue: b-eu, within: 5s}\n  - {queue: b-ap, within: 5s}\npayload_deleted_after_ack: true\n", 10, "payload_deleted_after_ack", "exactly one expect"),
    ("senders-zero", "name: x\ntopology: reference.topology.yaml\nsend:\n  from: A/us-east-1\n  topic: orders\n  senders: 0\n", 6, "send.senders", "between 1 and 64"),
    ("receivers-text", "name: x\ntopology: reference.topology.yaml\n" + GOOD_SEND + "expect:\n  - {queue: b-eu, within: 5s, receivers: many}\n", 8, "expect[0].receivers", "whole number between 1 and 32"),
    ("boolean-yes", "name: x\ntopology: reference.topology.yaml\n" + GOOD_SEND + "expect:\n  - {queue: b-eu, within: 5s, intact: yes}\n", 8, "expect[0].intact", "write true"),
]


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    shutil.copy(paths.REFERENCE_TOPOLOGY, tmp_path / "reference.topology.yaml")
    return tmp_path


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_malformed_scenario_names_file_line_and_field(workdir: Path, case: tuple) -> None:
    ident, text, line, field, fragment = case
    path = workdir / f"{ident}.scenario.yaml"
    path.write_text(text)
    with pytest.raises(InputFileError) as err:
        load_scenario(path)
    lines = str(err.value).splitlines()
    prefix = f"{path}:{line}: {field}: "
    matching = [entry for entry in lines if entry.startswith(prefix)]
    assert matching, f"expected a line starting {prefix!r}, got:\n" + "\n".join(lines)
    assert any(fragment in entry for entry in matching), matching
    assert all("Traceback" not in entry for entry in lines)


def test_every_reference_scenario_loads() -> None:
    files = discover_scenarios(paths.SCENARIOS_DIR)
    assert len(files) >= 10
    names = {load_scenario(f).name for f in files}
    assert len(names) == len(files), "scenario names must be unique"


def test_boundary_sizes_parse_exactly() -> None:
    assert parse_size("256KiB+1") == 262145
    assert parse_size("1MiB-1") == 1048575
    assert parse_size("0") == 0
    assert parse_size("5MiB") == 5 * 1024 * 1024
    assert parse_size("2GiB") == 2 * 1024**3
    assert parse_size("1 KB") is None  # decimal units are refused (read_size says why)
    assert parse_size("lots") is None
    assert parse_duration("500ms") == 0.5 and parse_duration("2m") == 120.0 and parse_duration("x") is None


def test_fifo_scenario_model() -> None:
    sc = load_scenario(paths.SCENARIOS_DIR / "fifo-order-dedup.scenario.yaml")
    assert sc.send.group == "g1" and sc.send.dedup == "repeat"
    [exp] = sc.expect
    assert exp.ordered and not exp.duplicates_allowed


def test_several_problems_reported_together(workdir: Path) -> None:
    path = workdir / "many.scenario.yaml"
    path.write_text(textwrap.dedent("""\
        name: many
        topology: reference.topology.yaml
        send:
          from: A/us-east-1
          topic: orders
          count: -1
          size: huge
        expect:
          - {queue: nope, within: 1s}
        """))
    with pytest.raises(InputFileError) as err:
        load_scenario(path)
    fields = [p.field for p in err.value.problems]
    assert fields == ["send.count", "send.size", "expect[0].queue"]


def test_deeply_nested_attributes_are_one_clean_problem(workdir: Path) -> None:
    """Issue 9 #4: deep nesting in a scenario file is one file:line: field: line, no RecursionError."""
    path = workdir / "deep.scenario.yaml"
    path.write_text("name: x\ntopology: reference.topology.yaml\n" + GOOD_SEND + "  attributes:\n" + "".join(
        "  " * (i + 2) + "k:\n" for i in range(300)
    ) + "  " * 302 + "v\n")
    with pytest.raises(InputFileError) as err:
        load_scenario(path)
    [problem] = err.value.problems
    assert str(problem).startswith(f"{path}:") and problem.field.startswith("send.attributes.k")
    assert "nested more than 64 levels deep" in problem.message


# ---- issue 9 #11: validation gaps -----------------------------------------------------------------

GAP_CASES = [
    ("within-below-1ms", GOOD_SEND + "expect:\n  - {queue: b-eu, within: 0.0001ms}\n", 8, "expect[0].within", "between 1ms and 15m"),
    ("within-half-ms", GOOD_SEND + "expect:\n  - {queue: b-eu, within: 0.5ms}\n", 8, "expect[0].within", "between 1ms and 15m"),
    ("within-over-15m", GOOD_SEND + "expect:\n  - {queue: b-eu, within: 16m}\n", 8, "expect[0].within", "between 1ms and 15m"),
    ("latency-below-1ms", GOOD_SEND + "expect:\n  - {queue: b-eu, within: 5s, latency: {p99: 0.1ms}}\n", 8, "expect[0].latency.p99", "between 1ms and 15m"),
    (
        "expect-and-expect-not-same-queue",
        GOOD_SEND + "expect:\n  - {queue: b-eu, within: 5s}\nexpect_not:\n  - {queue: b-eu, within: 3s}\n",
        10,
        "expect_not[0].queue",
        "b-eu is also under expect (expect[0], line 8)",
    ),
    ("from-without-region", "send:\n  from: A\n  topic: orders\n", 4, "send.from", "write from: <account>/<region>, e.g. from: A/us-east-1"),
    ("from-without-account", "send:\n  from: /us-east-1\n  topic: orders\n", 4, "send.from", "write from: <account>/<region>"),
]


@pytest.mark.parametrize("case", GAP_CASES, ids=[c[0] for c in GAP_CASES])
def test_validation_gaps_are_closed(workdir: Path, case: tuple) -> None:
    ident, body, line, field, fragment = case
    path = workdir / f"{ident}.scenario.yaml"
    path.write_text("name: x\ntopology: reference.topology.yaml\n" + body)
    with pytest.raises(InputFileError) as err:
        load_scenario(path)
    lines = str(err.value).splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}:{line}: {field}: ") and fragment in lines[0], lines


@pytest.mark.parametrize("within", ["1ms", "15m", "0.5s"])
def test_durations_within_the_stated_range_are_accepted(workdir: Path, within: str) -> None:
    path = workdir / "ok.scenario.yaml"
    path.write_text("name: x\ntopology: reference.topology.yaml\n" + GOOD_SEND + f"expect:\n  - {{queue: b-eu, within: {within}}}\n")
    assert load_scenario(path).expect[0].within == parse_duration(within)


def test_validate_scenario_files_reports_every_problem_of_every_file(workdir: Path) -> None:
    """Scenarios validate without an applied run; all problems of all files come back together."""
    good = workdir / "good.scenario.yaml"
    good.write_text("name: good\ntopology: reference.topology.yaml\n" + GOOD_SEND + "expect:\n  - {queue: b-eu, within: 5s}\n")
    bad1 = workdir / "bad1.scenario.yaml"
    bad1.write_text("name: bad1\ntopology: reference.topology.yaml\nsend:\n  from: A\n  topic: orders\n  count: 0\n")
    broken = workdir / "broken.topology.yaml"
    broken.write_text("name: broken\naccounts: {}\nregions: [us-east-1]\n")
    bad2 = workdir / "bad2.scenario.yaml"
    bad2.write_text("name: bad2\ntopology: broken.topology.yaml\n" + GOOD_SEND)
    bad3 = workdir / "bad3.scenario.yaml"
    bad3.write_text("name: bad3\ntopology: broken.topology.yaml\n" + GOOD_SEND)

    assert [s.name for s in validate_scenario_files([good])] == ["good"]
    assert scenario_file_problems([good]) == []
    problems = scenario_file_problems([good, bad1, bad2, bad3])
    assert [(p.file, p.line, p.field) for p in problems] == [
        (str(bad1), 4, "send.from"),
        (str(bad1), 6, "send.count"),
        (str(bad2), 2, "topology"),
        (str(broken), 2, "accounts"),  # the topology's own problem, once for both scenarios
        (str(bad3), 2, "topology"),
    ]
    with pytest.raises(InputFileError) as err:
        validate_scenario_files([good, bad1, bad2, bad3])
    assert err.value.problems == problems
