"""The scenario verdicts on fabricated facts: no LocalStack, no boto3 client, no waiting."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from harness.payload.message import MessageTimestamps
from harness.payload.outcome import Outcome
from harness.scenario.expectations import DeadLetterCheck, Expect, ExpectNot, Latency
from harness.scenario.judge import verdicts
from harness.scenario.judge.facts import Delivery, Sent
from harness.scenario.judge.measure import PathKey
from harness.scenario.judge.verdicts import judge_dead_letter, judge_expect, judge_expect_not, judge_payloads_deleted, offloaded

KEY = PathKey("A", "us-east-1", "topic:orders", "B", "eu-west-1", "q")
DLQ_KEY = PathKey("A", "us-east-1", "queue:q", "B", "eu-west-1", "q-dlq")
T0 = 1_700_000_000.0


def sent(n: int, *, group: str | None = None, groups: tuple[str, ...] = (), warmup: int = 0, size: int = 1024) -> list[Sent]:
    """``n`` messages sent 10 ms apart; ``groups`` cycles FIFO groups over them."""
    return [
        Sent(seq, f"run.sc.tok.{seq}", size, "0" * 64, groups[seq % len(groups)] if groups else group, T0 + seq * 0.01, seq < warmup)
        for seq in range(n)
    ]


def got(s: Sent, after: float, outcome: Outcome = Outcome.INTACT, detail: str = "", timestamps: MessageTimestamps | None = None) -> Delivery:
    """``s`` delivered ``after`` seconds after it was sent."""
    return Delivery(s.correlation_id, s.t_send + after, outcome, detail, timestamps)


def expect(**kw) -> Expect:
    return Expect(queue="q", within=kw.pop("within", 5.0), **kw)


# -- counts and outcomes --------------------------------------------------------------------------


def test_all_intact_counts_and_no_failure() -> None:
    msgs = sent(3)
    v = judge_expect(expect(), KEY, msgs, [got(s, 0.1) for s in msgs])
    assert v.failures == []
    assert {k: v.stats.counts[k] for k in ("sent", "received", "intact", "lost", "late", "duplicate")} == {
        "sent": 3, "received": 3, "intact": 3, "lost": 0, "late": 0, "duplicate": 0,
    }
    assert v.stats.percentiles_ms()["count"] == 3


def test_corrupted_and_missing_payloads_are_counted_and_explained() -> None:
    msgs = sent(4, size=2048)
    deliveries = [
        got(msgs[0], 0.1),
        got(msgs[1], 0.1, Outcome.CORRUPTED, "sha256 abc != def"),
        got(msgs[2], 0.1, Outcome.MISSING_OBJECT, "NoSuchKey"),
        got(msgs[3], 0.1, Outcome.FETCH_FAILED, "500 after retries"),
    ]
    v = judge_expect(expect(), KEY, msgs, deliveries)
    assert {k: v.stats.counts[k] for k in ("received", "intact", "corrupted", "missing", "lost")} == {
        "received": 4, "intact": 1, "corrupted": 1, "missing": 2, "lost": 0,
    }
    assert v.failures == [
        "q: message 1 (2048 B) is corrupted (sha256 mismatch): sha256 abc != def",
        "q: message 2 (2048 B) is missing payload (the S3 object is gone): NoSuchKey",
        "q: message 3 (2048 B) is missing payload (fetch failed): 500 after retries",
    ]


def test_damage_is_counted_but_not_a_failure_when_intact_is_not_required() -> None:
    msgs = sent(2)
    v = judge_expect(expect(intact=False), KEY, msgs, [got(msgs[0], 0.1), got(msgs[1], 0.1, Outcome.TRUNCATED, "short")])
    assert v.failures == []
    assert v.stats.counts["truncated"] == 1 and v.stats.counts["intact"] == 1


def test_missing_and_late_are_told_apart() -> None:
    msgs = sent(4)
    deliveries = [got(msgs[0], 0.5), got(msgs[1], 1.5), got(msgs[3], 0.2)]  # seq 2 never arrives
    v = judge_expect(expect(within=1.0), KEY, msgs, deliveries)
    assert {k: v.stats.counts[k] for k in ("sent", "received", "late", "lost")} == {"sent": 4, "received": 3, "late": 1, "lost": 1}
    assert v.failures == [
        "q: 1 of 4 messages never arrived within 1s (+2s grace); first missing seq [2]",
        "q: 1 messages arrived later than 1s",
    ]


def test_deliveries_of_other_messages_are_ignored() -> None:
    msgs = sent(1)
    stranger = Delivery("run.other.tok.0", T0 + 0.1, Outcome.CORRUPTED, "not ours")
    v = judge_expect(expect(), KEY, msgs, [stranger, got(msgs[0], 0.1)])
    assert v.failures == [] and v.stats.counts["received"] == 1 and v.stats.counts["corrupted"] == 0


# -- duplicates and order -------------------------------------------------------------------------


def test_duplicates_forbidden_fail_and_allowed_only_count() -> None:
    msgs = sent(2)
    deliveries = [got(msgs[0], 0.1), got(msgs[0], 0.3), got(msgs[1], 0.1), got(msgs[0], 0.4)]
    forbidden = judge_expect(expect(duplicates_allowed=False), KEY, msgs, deliveries)
    assert forbidden.stats.counts["duplicate"] == 2 and forbidden.stats.counts["received"] == 2
    assert forbidden.failures == ["q: 2 duplicate deliveries, but duplicates are forbidden here: seq [0] delivered more than once"]
    allowed = judge_expect(expect(duplicates_allowed=True), KEY, msgs, deliveries)
    assert allowed.stats.counts["duplicate"] == 2 and allowed.failures == []


def test_fifo_order_is_judged_per_group() -> None:
    msgs = sent(4, groups=("a", "b"))  # a: 0, 2   b: 1, 3
    deliveries = [got(msgs[0], 0.1), got(msgs[3], 0.1), got(msgs[2], 0.2), got(msgs[1], 0.3)]
    v = judge_expect(expect(ordered=True), KEY, msgs, deliveries)
    assert v.failures == ["q: group b arrived out of order: [3, 1]"]
    assert judge_expect(expect(ordered=False), KEY, msgs, deliveries).failures == []


def test_a_duplicate_does_not_count_as_an_order_violation() -> None:
    msgs = sent(3, group="g")
    deliveries = [got(msgs[0], 0.1), got(msgs[1], 0.1), got(msgs[0], 0.2), got(msgs[2], 0.1)]
    assert judge_expect(expect(ordered=True), KEY, msgs, deliveries).failures == []


# -- latency ----------------------------------------------------------------------------------


def test_latency_objective_failure_names_the_percentile_and_value() -> None:
    msgs = sent(4)
    deliveries = [got(s, lat) for s, lat in zip(msgs, (0.010, 0.020, 0.030, 0.040))]
    v = judge_expect(expect(latency=Latency(p50=15.0, max=100.0)), KEY, msgs, deliveries)
    assert v.failures == ["q: latency p50 20.0 ms exceeds the objective 15.0 ms (4 samples)"]
    assert judge_expect(expect(latency=Latency(p50=25.0, max=100.0)), KEY, msgs, deliveries).failures == []


def test_warmup_messages_are_counted_but_kept_out_of_latency() -> None:
    msgs = sent(3, warmup=1)
    deliveries = [got(msgs[0], 9.0), got(msgs[1], 0.010), got(msgs[2], 0.010)]
    v = judge_expect(expect(within=10.0, latency=Latency(max=50.0)), KEY, msgs, deliveries)
    assert v.failures == []
    assert v.stats.counts["received"] == 3 and v.stats.counts["intact"] == 3
    pct = v.stats.percentiles_ms()
    assert pct["count"] == 2 and pct["max"] == pytest.approx(10.0, abs=0.01)


def test_hops_come_from_the_server_timestamps() -> None:
    [s] = sent(1)
    ms = int(s.t_send * 1000)
    ts = MessageTimestamps(None, ms + 5, ms + 12, ms + 40, ms + 41)
    v = judge_expect(expect(), KEY, [s], [got(s, 0.05, timestamps=ts)])
    hops = v.stats.as_dict()["hops_ms"]
    # issue 12 added harness_wait: received by the harness (t_send + 50 ms) minus SQS's first receive
    assert set(hops) == {"publish_to_sns", "sns_to_sqs", "sqs_to_first_receive", "harness_wait"}
    assert hops["sns_to_sqs"]["p50"] == pytest.approx(7.0, abs=0.01)
    assert hops["sqs_to_first_receive"]["p50"] == pytest.approx(28.0, abs=0.05)
    assert hops["harness_wait"]["p50"] == pytest.approx(10.0, abs=1.01)  # the server's whole milliseconds


# -- expect_not -------------------------------------------------------------------------------


def test_expect_not() -> None:
    neg = ExpectNot(queue="c", within=3.0)
    assert judge_expect_not(neg, []) == []
    msgs = sent(2)
    assert judge_expect_not(neg, [got(msgs[0], 0.1), got(msgs[1], 0.1)]) == [
        (
            "expect_not c: received 2 of this scenario's messages within 3s (e.g. run.sc.tok.0); "
            "they should have been filtered out or not routed there"
        )
    ]


# -- dead letters -----------------------------------------------------------------------------

CHECK = DeadLetterCheck(queue="q", dead_letter_queue="q-dlq", rejections=3, within=20.0)


def test_dead_letter_all_moved_after_enough_rejections_passes() -> None:
    msgs = sent(2)
    v = judge_dead_letter(CHECK, DLQ_KEY, msgs, [got(s, 25.0) for s in msgs], {msgs[0].correlation_id: 3, msgs[1].correlation_id: 4})
    assert v.failures == []
    assert v.note == "dead_letter q → q-dlq: rejected {'run.sc.tok.0': 3, 'run.sc.tok.1': 4} times, 2/2 in the DLQ"
    # Judged like any receiving path (same counts), but slower than `within` is not "late" here.
    assert {k: v.stats.counts[k] for k in ("sent", "received", "intact", "lost", "late")} == {
        "sent": 2, "received": 2, "intact": 2, "lost": 0, "late": 0,
    }
    assert v.stats.percentiles_ms()["count"] == 2 and v.stats.as_dict()["hops_ms"] == {}


def test_dead_letter_moved_before_the_rejections_fails() -> None:
    msgs = sent(2)
    v = judge_dead_letter(CHECK, DLQ_KEY, msgs, [got(s, 1.0) for s in msgs], {msgs[0].correlation_id: 3, msgs[1].correlation_id: 1})
    assert v.failures == [f"{v.note}: moved before 3 rejections"]


def test_dead_letter_not_all_moved_fails_once_with_the_redrive_message() -> None:
    msgs = sent(2)
    v = judge_dead_letter(CHECK, DLQ_KEY, msgs, [got(msgs[1], 1.0)], {msgs[0].correlation_id: 5, msgs[1].correlation_id: 3})
    assert v.note is not None and v.note.endswith("1/2 in the DLQ")
    assert v.failures == [f"{v.note} after 20s; the redrive policy did not move them"]
    assert v.stats.counts["lost"] == 1 and v.stats.counts["received"] == 1


def test_dead_letter_damaged_payload_fails_like_an_expectation() -> None:
    msgs = sent(1)
    v = judge_dead_letter(CHECK, DLQ_KEY, msgs, [got(msgs[0], 1.0, Outcome.CORRUPTED, "bad")], {msgs[0].correlation_id: 3})
    assert v.failures == ["q-dlq: message 0 (1024 B) is corrupted (sha256 mismatch): bad"]
    assert v.stats.counts["corrupted"] == 1 and v.stats.counts["intact"] == 0


def test_dead_letter_and_expectations_share_one_judge(monkeypatch) -> None:
    calls: list[str] = []
    original = verdicts.judge_path

    def spy(rules, key, sent_, deliveries):
        calls.append(rules.queue)
        return original(rules, key, sent_, deliveries)

    monkeypatch.setattr(verdicts, "judge_path", spy)
    msgs = sent(1)
    verdicts.judge_expect(expect(), KEY, msgs, [])
    verdicts.judge_dead_letter(CHECK, DLQ_KEY, msgs, [], {})
    assert calls == ["q", "q-dlq"]


# -- payloads deleted after ack ---------------------------------------------------------------


def test_payloads_deleted_after_ack() -> None:
    msgs = [Sent(0, "c.0", 2 << 20, "0" * 64, None, T0, False, ("b", "k0")), Sent(1, "c.1", 10, "0" * 64, None, T0, False, None),
            Sent(2, "c.2", 2 << 20, "0" * 64, None, T0, False, ("b", "k2"))]
    pointers = offloaded(msgs)
    assert pointers == [("b", "k0"), ("b", "k2")]
    assert judge_payloads_deleted(pointers, set()) == []
    assert judge_payloads_deleted(pointers, {("b", "k2")}) == ["payload s3://b/k2 still exists after the consumer acknowledged its message"]
    [nothing] = judge_payloads_deleted([], set())
    assert nothing.startswith("payload_deleted_after_ack: no message was offloaded")


# -- purity -----------------------------------------------------------------------------------


def test_verdicts_and_facts_do_no_io() -> None:
    """Only values go in and out: no AWS clients, clocks, threads or files in these modules."""
    allowed = {"__future__", "collections", "collections.abc", "dataclasses", "typing", "harness.payload.message",
               "harness.payload.outcome", "harness.scenario.judge.facts", "harness.scenario.judge.measure", "harness.scenario.format.model",
               "harness.scenario.judge", "harness.scenario.judge.objectives", "harness.scenario.judge.path_objectives"}
    here = Path(verdicts.__file__).parent
    for module in (verdicts.__file__, *(here / f"{m}.py" for m in ("facts", "objectives", "path_objectives", "human"))):
        tree = ast.parse(Path(module).read_text())
        type_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
                     for n in ast.walk(block)}  # names for annotations only: never imported at run time
        nodes = [n for n in ast.walk(tree) if id(n) not in type_only]
        imported = {n.module for n in nodes if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in nodes if isinstance(n, ast.Import) for a in n.names}
        assert imported <= allowed, (module, imported - allowed)
