"""Scenarios with functions, without an emulator: what `expect` and `dead_letter` entries naming a
function read into, what they refuse in one line, what they cost, and how a topic over 256 KiB is
judged on each target."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness import paths
from harness.errors import InputFileError
from harness.scenario import cost
from harness.scenario.execute.send import large_topic_objectives, sns_threshold
from harness.scenario.expectations.function_dead_letter import FunctionDeadLetter
from harness.scenario.expectations.function_expect import ExpectFunction
from harness.scenario.expectations.function_on_failure import FunctionOnFailure, attempts_expected
from harness.scenario.format.loader import load_scenario
from harness.scenario.judge.facts import Sent
from harness.scenario.judge.objectives import MET, MISSED, NOT_OBSERVABLE
from harness.topology.loader import load_topology

REF = paths.REFERENCE_TOPOLOGY
SEND = "send: {from: A/us-east-1, topic: orders, count: 4, sizes: [1KiB, 3MiB], attributes: {route: functions}}\n"


def _load(tmp_path: Path, body: str, topology: Path = REF) -> object:
    path = tmp_path / "s.scenario.yaml"
    path.write_text(f"name: s\ntopology: {topology}\n" + textwrap.dedent(body))
    return load_scenario(path)


def _problems(tmp_path: Path, body: str, topology: Path = REF) -> list[str]:
    with pytest.raises(InputFileError) as err:
        _load(tmp_path, body, topology)
    return [str(p) for p in err.value.problems]


def test_expect_entries_name_queues_or_functions(tmp_path: Path) -> None:
    sc = _load(tmp_path, SEND + "expect:\n  - {function: c-fn, within: 10s, latency: {p99: 2s}, hops: {sns_to_invoke: {p99: 1s}}}\n"
               "  - {function: b-fn, within: 20s, reject: 1, slow: 100ms}\n  - {queue: b-eu, within: 10s}\n")
    c, b, q = sc.written  # type: ignore[attr-defined]  # without the implied payload accounting (issue 23)
    assert isinstance(c, ExpectFunction) and c.routes == ((0, ""),) and c.latency.p99 == 2000.0 and set(c.hops) == {"sns_to_invoke"}
    assert isinstance(b, ExpectFunction) and b.routes == ((0, "b-fn-in"),) and b.function_behaviour() == [("b-fn", {"reject": 1, "slow_ms": 100, "delete_payloads": False})]
    assert c.function_behaviour() == [] and q.queue == "b-eu" and sc.functions_expected == ("c-fn", "b-fn")  # type: ignore[attr-defined]
    assert [w.queue for w in c.watches()] == ["function c-fn"] and c.functions_read() == [("c-fn", False)]


@pytest.mark.parametrize(("body", "fragment"), [
    (SEND + "expect:\n  - {function: nope, within: 10s}\n", 'no function "nope" in topology "reference"'),
    ("send: {from: A/us-east-1, topic: orders-fifo, count: 1, group: g}\nexpect:\n  - {function: c-fn, within: 10s}\n",
     "no send reaches function c-fn (it is fed by topic orders)"),
    (SEND + "expect:\n  - {function: b-fn, within: 30s, reject: 2}\n",
     "queue b-fn-in moves a message to its dead-letter queue after 2 receives, so 2 rejections would never be followed by an acknowledgement"),
    (SEND + "expect:\n  - {function: c-fn, within: 90s, reject: 1}\n",
     "Lambda retries a failed invocation 0 time(s) (functions.c-fn.max_retry_attempts is 0); write reject: 0 or less"),
    (SEND + "expect:\n  - {function: b-fn, within: 10s, slow: 6s}\n", "reaches function b-fn's timeout of 5 s"),
    (SEND + "expect:\n  - {function: c-fn, within: 10s, hops: {harness_wait: {p99: 1s}}}\n", "a path to a function has no hop harness_wait"),
    (SEND + "expect:\n  - {queue: b-eu, within: 10s, hops: {function_duration: {p99: 1s}}}\n", "a path to a queue has no hop function_duration"),
    ("send: {from: B/eu-west-1, queue: b-fn-in, count: 1}\ndead_letter: {function: c-fn, within: 10s}\n", "no send reaches function c-fn (SNS invokes it for topic orders, and it polls no queue)"),
])
def test_what_a_function_cannot_do_is_refused_in_one_line(tmp_path: Path, body: str, fragment: str) -> None:
    problems = _problems(tmp_path, body)
    assert any(fragment in p for p in problems), problems
    assert all(p.startswith(str(tmp_path / "s.scenario.yaml") + ":") and "\n" not in p for p in problems)


def test_a_function_must_read_the_bucket_its_payloads_go_through(tmp_path: Path) -> None:
    topology = tmp_path / "t.topology.yaml"
    topology.write_text(REF.read_text().replace("    region: us-east-1\n    reads: [payloads]\n", "    region: us-east-1\n"))
    problems = _problems(tmp_path, SEND + "expect:\n  - {function: c-fn, within: 10s}\n", topology)
    assert any("payloads go through bucket payloads, which function c-fn does not read; add it to functions.c-fn.reads" in p for p in problems), problems


def _default_retries(tmp_path: Path, extra: str = "") -> Path:
    """The reference topology with c-fn at Lambda's default retries (and ``extra`` keys)."""
    path = tmp_path / "retries.topology.yaml"
    path.write_text(REF.read_text().replace("    max_retry_attempts: 0   # a failed (asynchronous) invocation is not retried...\n", extra))
    return path


def test_rejections_through_sns_fit_lambdas_retries(tmp_path: Path) -> None:
    default = _default_retries(tmp_path)
    assert any("1 rejection(s) need within: 90s or more" in p for p in _problems(tmp_path, SEND + "expect:\n  - {function: c-fn, within: 30s, reject: 1}\n", default))
    assert any("retries a failed invocation 2 time(s) (Lambda's default is 2); write reject: 2 or less" in p
               for p in _problems(tmp_path, SEND + "expect:\n  - {function: c-fn, within: 200s, reject: 3}\n", default))
    aged = _default_retries(tmp_path, "    max_event_age: 100\n")  # the second retry (about 180 s in) comes too late
    assert any("retries a failed invocation 1 time(s) within max_event_age 100 s" in p
               for p in _problems(tmp_path, SEND + "expect:\n  - {function: c-fn, within: 200s, reject: 2}\n", aged))


def test_dead_letter_naming_a_function_sns_invokes_checks_its_on_failure_destination(tmp_path: Path) -> None:
    sc = _load(tmp_path, SEND + "dead_letter: {function: c-fn, fail_every: 2, within: 30s}\n")
    [check] = sc.written  # type: ignore[attr-defined]
    assert isinstance(check, FunctionOnFailure)
    assert (check.destination, check.retries, check.max_event_age, check.fail_every, check.sends) == ("c-fn-failed", 0, None, 2, (0,))
    records, fn = check.arrivals(sc)  # type: ignore[arg-type]
    assert (records.queue, records.only_every, fn.queue, fn.skip_every) == ("on-failure c-fn-failed", 2, "function c-fn", 2)
    assert check.function_behaviour() == [("c-fn", {"fail_every": 2})]
    # Lambda's default retries take about three minutes before the record
    assert any("write within: 210s or more, or lower functions.c-fn.max_retry_attempts" in p
               for p in _problems(tmp_path, SEND + "dead_letter: {function: c-fn, within: 60s}\n", _default_retries(tmp_path)))
    no_destination = tmp_path / "none.topology.yaml"
    no_destination.write_text(REF.read_text().replace("    on_failure: c-fn-failed # ...but recorded there at once\n", ""))
    assert any("SNS invokes function c-fn and it has no on-failure destination; add functions.c-fn.on_failure" in p
               for p in _problems(tmp_path, SEND + "dead_letter: {function: c-fn, within: 30s}\n", no_destination))
    both = tmp_path / "both.topology.yaml"
    both.write_text(textwrap.dedent("""\
        name: both
        accounts: {A: {id: "111111111111"}}
        regions: [us-east-1]
        topics: {orders: {account: A, region: us-east-1}}
        queues:
          q: {account: A, region: us-east-1, dead_letter: {queue: dlq, max_receive_count: 2}}
          dlq: {account: A, region: us-east-1}
          failed: {account: A, region: us-east-1}
        functions:
          f: {account: A, region: us-east-1, queue: q, max_retry_attempts: 0, on_failure: failed}
        subscriptions: [{topic: orders, function: f}, {topic: orders, queue: q}]
        """))
    assert any("the sends reach function f both through SNS and through queue q, and a dead_letter check follows one of the two" in p
               for p in _problems(tmp_path, "send: {from: A/us-east-1, topic: orders, count: 2}\ndead_letter: {function: f, within: 30s}\n", both))


@pytest.mark.parametrize(("retries", "age", "expected"), [
    (0, None, (1, 1)), (2, None, (3, 3)), (2, 21600, (3, 3)), (2, 120, (2, 2)), (1, 60, (1, 2)), (2, 200, (2, 3)), (1, 80, (1, 2)),
])
def test_how_often_a_failing_event_is_tried(retries: int, age: int | None, expected: tuple[int, int]) -> None:
    assert attempts_expected(retries, age) == expected


def test_the_cost_of_failure_records(tmp_path: Path) -> None:
    sc = _load(tmp_path, SEND + "dead_letter: {function: c-fn, fail_every: 2, within: 30s}\n")
    items = {i.what: i for i in cost.estimate(sc, load_topology(REF)).items}  # type: ignore[arg-type]
    assert items["Lambda requests"].quantity == 4  # tried once each (max_retry_attempts 0)
    plain = _load(tmp_path, SEND + "expect:\n  - {function: c-fn, within: 30s}\n")
    base = {i.what: i for i in cost.estimate(plain, load_topology(REF)).items}  # type: ignore[arg-type]
    # two records (Lambda's send, the harness's receive, a delete; 3 MiB ones are pointers) and a GET of each offloaded one, idle polls
    assert items["SQS requests"].quantity > base["SQS requests"].quantity
    assert items["S3 GET (ranged, per consumer)"].quantity > base["S3 GET (ranged, per consumer)"].quantity


def test_dead_letter_naming_a_function_reads_its_queue_and_redrive(tmp_path: Path) -> None:
    sc = _load(tmp_path, "send: {from: B/eu-west-1, queue: b-fn-in, count: 6}\ndead_letter: {function: b-fn, fail_every: 3, within: 40s}\n")
    [check] = sc.written  # type: ignore[attr-defined]
    assert isinstance(check, FunctionDeadLetter)
    assert (check.queue, check.dead_letter_queue, check.receives, check.fail_every, check.sends) == ("b-fn-in", "b-fn-dlq", 2, 3, (0,))
    dlq, fn = check.arrivals(sc)  # type: ignore[arg-type]
    assert (dlq.queue, dlq.only_every, fn.queue, fn.skip_every) == ("b-fn-dlq", 3, "function b-fn", 3)


def test_the_cost_estimate_counts_lambda_requests_and_duration(tmp_path: Path) -> None:
    sc = _load(tmp_path, SEND + "expect:\n  - {function: c-fn, within: 10s}\n  - {function: b-fn, within: 20s}\n")
    est = cost.estimate(sc, load_topology(REF))  # type: ignore[arg-type]
    items = {i.what: i for i in est.items}
    assert items["Lambda requests"].quantity == 8  # 4 messages, each to both functions
    seconds = 4 * 0.2 * 2 + 2 * (3 << 20) / (50 << 20) * 2  # base and two 3 MiB downloads, per function
    assert items["Lambda duration"].quantity == pytest.approx(seconds * 256 / 1024)
    assert items["Lambda requests"].usd == pytest.approx(8 * 0.2 / 1e6)


def _sent(sizes: list[int], inline: list[bool]) -> list[Sent]:
    return [Sent(i, f"t.{i}", s, "x", None, 0.0, False, None if inl else ("b", f"k{i}")) for i, (s, inl) in enumerate(zip(sizes, inline, strict=True))]


def test_a_topic_over_256_kib_is_measured_on_aws_and_not_observable_on_the_emulator(tmp_path: Path) -> None:
    topology = tmp_path / "t.topology.yaml"
    topology.write_text(REF.read_text().replace("  orders:\n    account: A\n    region: us-east-1\n",
                                                "  orders:\n    account: A\n    region: us-east-1\n    max_message_size: 1MiB\n"))
    sc = _load(tmp_path, "send: {from: A/us-east-1, topic: orders, count: 2, sizes: [1KiB, 512KiB]}\nexpect:\n  - {queue: b-eu, within: 10s}\n", topology)
    send = sc.send  # type: ignore[attr-defined]
    assert send.threshold == 1 << 20 and sns_threshold(send, on_emulator=False) == 1 << 20 and sns_threshold(send, on_emulator=True) == 256 << 10
    [aws] = large_topic_objectives(send, _sent([1024, 512 << 10], [True, True]), on_emulator=False)
    assert aws.result == MET and aws.measured == "1 of 1"
    assert large_topic_objectives(send, _sent([1024, 512 << 10], [True, False]), on_emulator=False)[0].result == MISSED
    [emulator] = large_topic_objectives(send, _sent([1024, 512 << 10], [True, False]), on_emulator=True)
    assert emulator.result == NOT_OBSERVABLE and "256 KiB" in emulator.reason
    assert large_topic_objectives(send, _sent([1024, 2048], [True, True]), on_emulator=True) == []  # nothing relies on it
