"""The pure parts of faults (issue 23): when a fault strikes, what the injector answers inside botocore
and how the kit's retry policy meets it, how fault entries are read, what the emulator cannot show,
and the recovery point."""

from __future__ import annotations

import random
from pathlib import Path

import boto3
import pytest
from botocore import exceptions as bce

from harness import paths, retry
from harness.errors import InputFileError
from harness.load.plan import one_line_problem
from harness.scenario.expectations.faults import FaultsSection
from harness.scenario.expectations.recovery import recovered_at
from harness.scenario.faults import registry
from harness.scenario.faults.infrastructure import KeyDisabled, QueuePolicyFault
from harness.scenario.faults.inject import Effect, InjectedCrash, Injector, injected
from harness.scenario.faults.when import Trigger, When
from harness.scenario.format.loader import discover_scenarios, load_scenario

TOKEN = "run1.sc.abc123"


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_a_trigger_strikes_inside_its_window_at_most_count_times() -> None:
    clock = Clock()
    trigger = Trigger(When(start=2.0, duration=3.0, count=2), clock=clock)
    assert not trigger.fire()  # not begun
    trigger.begin()
    assert not trigger.fire() and trigger.chances == 0  # before its window
    clock.t = 2.5
    assert trigger.fire() and trigger.fire() and not trigger.fire()  # count 2
    assert trigger.fired == 2 and trigger.over()
    clock.t = 5.1
    assert not trigger.in_window()


def test_a_seeded_probability_strikes_the_same_chances_again() -> None:
    def run() -> list[bool]:
        trigger = Trigger(When(probability=0.2, seed=7))
        trigger.begin()
        return [trigger.fire() for _ in range(200)]

    first = run()
    assert first == run() and 20 <= sum(first) <= 60
    rng = random.Random(7)
    assert first == [rng.random() < 0.2 for _ in range(200)]


def _client(service: str):  # noqa: ANN202 - a boto3 client of any service
    return boto3.client(service, region_name="us-east-1", endpoint_url="http://127.0.0.1:9", aws_access_key_id="x",
                        aws_secret_access_key="x", config=retry.client_config(connect_timeout=0.2, read_timeout=0.2))


@pytest.mark.parametrize(("service", "call", "code"), [
    ("sns", lambda c: c.publish(TopicArn="arn:aws:sns:us-east-1:111111111111:t", Message=f"{TOKEN}.3"), "Throttling"),
    ("sqs", lambda c: c.send_message(QueueUrl="http://127.0.0.1:9/111111111111/q", MessageBody="x"), "RequestThrottled"),
    ("s3", lambda c: c.put_object(Bucket="b", Key="k", Body=b"x"), "SlowDown"),
])
def test_an_injected_throttle_is_the_error_aws_sends_and_the_kit_retries_it(service: str, call, code: str) -> None:
    injector = Injector(TOKEN)
    client = _client(service)
    injector.install(service, "A", "us-east-1", client)
    answers = iter([Effect(error="throttling"), Effect(error="throttling")])
    struck: list[list[str]] = []

    def rule(svc: str, op: str, cids: list[str]) -> Effect | None:
        struck.append(cids)
        return next(answers)

    injector.rules.append(rule)
    with pytest.raises(bce.ClientError) as raised:
        call(client)
    assert retry.error_code(raised.value) == code and retry.classify(raised.value) == retry.THROTTLED
    assert injected(raised.value)
    heard: list[tuple[str, str, str]] = []
    stop = retry.observe(lambda *a: heard.append(a))
    try:
        with pytest.raises(bce.ClientError):  # the second (last) throttle, then no effect: the call would go out
            retry.call("x.Op", call, client, policy=retry.RetryPolicy(max_attempts=1, sleep=lambda s: None))
    finally:
        stop()
    assert heard == [("x.Op", code, "gave up")]
    if service == "sns":
        assert struck[0] == [f"{TOKEN}.3"]  # the message the call carried
    injector.uninstall()


def test_injected_timeouts_and_resets_are_network_errors_the_policy_retries_and_counts() -> None:
    injector = Injector(TOKEN, sleep=lambda s: None)
    sns = _client("sns")
    injector.install("sns", "A", "us-east-1", sns)
    effects = iter([Effect(raise_="timeout", delay=1.0), Effect(raise_="reset"), Effect(error="internal_error")])
    injector.rules.append(lambda svc, op, cids: next(effects, None) or Effect(error="service_unavailable"))
    heard: list[tuple[str, str, str]] = []
    stop = retry.observe(lambda *a: heard.append(a))
    try:
        with pytest.raises(bce.ClientError) as raised:
            retry.call("sns.Publish", sns.publish, TopicArn="arn:aws:sns:us-east-1:1:t", Message="m",
                       policy=retry.RetryPolicy(max_attempts=4, sleep=lambda s: None))
    finally:
        stop()
    assert retry.error_code(raised.value) == "ServiceUnavailable"
    assert [h[1:] for h in heard] == [("InjectedReadTimeout", "retry"), ("InjectedConnectionReset", "retry"),
                                     ("InternalError", "retry"), ("ServiceUnavailable", "gave up")]


def test_a_crashed_publisher_cannot_clean_up_until_it_recovers() -> None:
    injector = Injector(TOKEN)
    sns, s3 = _client("sns"), _client("s3")
    injector.install("sns", "A", "us-east-1", sns)
    injector.install("s3", "A", "us-east-1", s3)
    injector.rules.append(lambda svc, op, cids: Effect(raise_="crash") if op == "Publish" else None)
    with pytest.raises(InjectedCrash):
        sns.publish(TopicArn="arn:aws:sns:us-east-1:1:t", Message="m")
    with pytest.raises(InjectedCrash):  # the publisher's cleanup of its upload: the process is gone
        s3.delete_object(Bucket="b", Key="k")
    assert retry.classify(InjectedCrash(detail="x")) is None  # never retried
    injector.recovered()
    injector.rules.clear()
    with pytest.raises((bce.EndpointConnectionError, bce.ConnectTimeoutError)):  # a new process: the call goes out
        s3.delete_object(Bucket="b", Key="k")
    injector.uninstall()


def _faults(tmp_path: Path, body: str, topology: Path = paths.REFERENCE_TOPOLOGY) -> FaultsSection:
    path = tmp_path / "f.scenario.yaml"
    path.write_text(f"name: f\ntopology: {topology}\nsend: {{from: A/us-east-1, topic: orders, count: 2}}\n"
                    f"expect: [{{queue: b-eu, within: 5s}}]\nfaults:\n{body}")
    [section] = load_scenario(path).of(FaultsSection)
    return section


def _problems(tmp_path: Path, body: str) -> list[str]:
    with pytest.raises(InputFileError) as raised:
        _faults(tmp_path, body)
    return [str(p) for p in raised.value.problems]


def test_fault_entries_are_read_with_their_when(tmp_path: Path) -> None:
    section = _faults(tmp_path, "  - {kind: consumer_crash, queue: b-eu, count: 2}\n"
                                "  - {kind: api_throttle, operations: [Publish], probability: 20%, retries: off, from: 1s, for: 5s}\n")
    crash, throttle = section.faults
    assert crash.kind == "consumer_crash" and crash.when == When(count=2) and crash.settle_seconds() == 35.0  # b-eu: 30 s visibility
    assert throttle.when == When(start=1.0, duration=5.0, probability=0.2) and throttle.retries == "off"
    assert one_line_problem([section]) == "faults: consumer_crash: " + crash.load  # each fault says why load refuses it


@pytest.mark.parametrize(("body", "fragment"), [
    ("  - {kind: consumer_explode, queue: b-eu}\n", "consumer_explode is not a fault kind; write one of consumer_crash"),
    ("  - {kind: consumer_stop, queue: b-eu}\n", "add for: <duration>"),
    ("  - {kind: api_throttle, operations: [Publsh]}\n", "Publsh is not an operation"),
    ("  - {kind: api_throttle, operations: [Publish], probability: 1.5}\n", "1.5 is out of range"),
    ("  - {kind: key_disabled, key: nokey}\n", 'no key "nokey" in the topology; it declares no keys: add one under keys:'),
    ("  - {kind: consumer_crash, queue: b-eu, times: 2}\n", "unknown field \"times\"; allowed fields here: kind, queue, from"),
    ("  - {kind: filter_policy, topic: orders, queue: b-eu-dlq, filter_policy: {kind: [x]}}\n", "no subscription of queue b-eu-dlq"),
])
def test_a_bad_fault_entry_is_one_line_with_the_fix(tmp_path: Path, body: str, fragment: str) -> None:
    problems = _problems(tmp_path, body)
    assert any(fragment in p for p in problems), problems
    assert all(p.startswith(str(tmp_path / "f.scenario.yaml") + ":") for p in problems)


def test_what_the_emulator_cannot_show_says_why() -> None:
    policy, key = QueuePolicyFault("b-eu", When()), KeyDisabled("queue-key", When())
    assert policy.not_observable_on("localstack") == "LocalStack does not enforce queue policies: SNS delivers anyway"
    assert "LocalStack does not enforce a KMS key's state" in (key.not_observable_on("localstack") or "")
    assert policy.not_observable_on("aws") is None and key.not_observable_on("aws") is None
    assert {k.kind for k in registry()} >= {"consumer_crash", "consumer_slow", "consumer_reject", "consumer_stop", "api_throttle",
                                           "api_error", "api_timeout", "api_reset", "api_latency", "publish_crash", "queue_policy",
                                           "key_disabled", "queue_deleted", "filter_policy", "payload_deleted", "payload_overwritten"}


def test_the_reference_set_has_only_faults_the_emulator_shows_and_the_aws_one_is_elsewhere() -> None:
    """make e2e must pass: no reference scenario carries a fault LocalStack cannot show."""
    reference = [load_scenario(p) for p in discover_scenarios(paths.SCENARIOS_DIR)]
    faults = [f for sc in reference for s in sc.of(FaultsSection) for f in s.faults]
    assert {f.kind for f in faults} >= {"consumer_crash", "api_throttle"}
    assert all(f.not_observable_on("localstack") is None for f in faults)
    aws = load_scenario(paths.SCENARIOS_DIR / "aws" / "key-disabled.scenario.yaml")
    [key] = [f for s in aws.of(FaultsSection) for f in s.faults]
    assert key.not_observable_on("localstack") and key.not_observable_on("aws") is None


def test_recovery_is_the_first_delivery_after_the_last_one_over_the_bound() -> None:
    # (receive time, latency): the fault ended at t=10
    points = [(5.0, 9.0), (11.0, 6.0), (12.0, 4.0), (13.0, 0.5), (14.0, 0.4)]
    assert recovered_at(points, 1.0, 10.0) == 13.0
    assert recovered_at(points, 10.0, 10.0) == 10.0  # never over the bound after the fault: recovered at once
    assert recovered_at([*points, (15.0, 3.0)], 1.0, 10.0) is None  # still over at the last delivery
    assert recovered_at([(5.0, 9.0)], 1.0, 10.0) is None  # nothing delivered after the fault


def test_validation_says_whether_a_payload_bucket_expires(tmp_path: Path) -> None:
    from harness.provision.payload_expiry import expiry_lines
    from harness.topology.loader import load_topology

    assert expiry_lines(load_topology(paths.REFERENCE_TOPOLOGY)) == ["bucket payloads: payload objects expire 7 days after upload"]
    plain = tmp_path / "plain.topology.yaml"
    text = paths.REFERENCE_TOPOLOGY.read_text()
    plain.write_text(text.replace("    expire_after_days: 7", ""))
    [line] = expiry_lines(load_topology(plain))
    assert line.startswith("bucket payloads: no expiry rule (set expire_after_days: N)")
    plain.write_text(text.replace("expire_after_days: 7", "expire_after_days: 0"))
    with pytest.raises(InputFileError) as raised:
        load_topology(plain)
    assert "buckets.payloads.expire_after_days: 0 is out of range" in str(raised.value)


class _Sqs:
    def __init__(self) -> None:
        self.visibility: list[tuple[str, int]] = []

    def change_message_visibility(self, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int) -> dict[str, object]:  # noqa: N803
        self.visibility.append((ReceiptHandle, VisibilityTimeout))
        return {}


class _Consumer:
    """What a QueueWatch and the consumer faults call, recorded."""

    def __init__(self, batches: list[list[object]]) -> None:
        from harness.payload.consumer import ConsumeSettings

        self.batches, self.deleted, self.sqs, self.queue_url = batches, [], _Sqs(), "http://q"
        self.settings = ConsumeSettings(retry=retry.RetryPolicy(max_attempts=1))

    def receive(self, **_: object) -> list[object]:
        return self.batches.pop(0) if self.batches else []

    def verify(self, message: object, expected: object = None, sink: object = None) -> object:
        from harness.payload.outcome import Outcome, Verdict

        return Verdict(Outcome.INTACT, "ok")

    def delete(self, message: object, delete_payload: bool | None = None) -> None:
        self.deleted.append(message.correlation_id)  # type: ignore[attr-defined]


def _message(cid: str, handle: str) -> object:
    from harness.payload.message import BodyKind, MessageTimestamps, ReceivedMessage

    return ReceivedMessage("http://q", "id", handle, BodyKind.INLINE, MessageTimestamps(None, None, 1, 2, 3), body="x", correlation_id=cid)


@pytest.mark.parametrize("kind", ["consumer_reject", "consumer_crash"])
def test_a_faulty_consumer_rejects_or_crashes_then_takes_the_message(kind: str) -> None:
    from harness.scenario.execute.watch import QueueWatch
    from harness.scenario.faults.base import LiveFault
    from harness.scenario.faults.consumer import ConsumerCrash, ConsumerReject, _on_watch

    cid = f"{TOKEN}.0"
    consumer = _Consumer([[_message(cid, "h1")], [_message(cid, "h2")], [_message(cid, "h3")]])
    watch = QueueWatch("q", consumer, TOKEN, "run1", {}, False)  # type: ignore[arg-type]
    fault = ConsumerReject("q", When(), times=2) if kind == "consumer_reject" else ConsumerCrash("q", When(count=1))
    live = LiveFault(fault, Trigger(fault.when))
    live.trigger.begin()
    with _on_watch(watch, live):
        for _ in range(3):
            watch.poll()
    if kind == "consumer_reject":  # given back twice (visibility 0), taken the third time
        assert consumer.sqs.visibility == [("h1", 0), ("h2", 0)] and consumer.deleted == [cid] and watch.received() == 1
        assert live.log.messages[cid]["rejected"] == 2
    else:  # processed and never deleted, then delivered again: twice processed, deleted once each after
        assert consumer.sqs.visibility == [] and consumer.deleted == [cid, cid] and len(watch.deliveries()) == 3
        assert live.log.messages[cid]["crashed"] == 1
    assert watch.behaviour is None  # off once the scenario's block is left


def test_a_slow_consumer_deletes_late_and_the_scenario_end_finishes_its_deletes() -> None:
    from harness.scenario.execute.watch import QueueWatch
    from harness.scenario.faults.base import LiveFault
    from harness.scenario.faults.consumer import ConsumerSlow, _on_watch

    cids = [f"{TOKEN}.0", f"{TOKEN}.1"]
    consumer = _Consumer([[_message(cids[0], "h1"), _message(cids[1], "h2")]])
    watch = QueueWatch("q", consumer, TOKEN, "run1", {}, False)  # type: ignore[arg-type]
    fault = ConsumerSlow("q", When(count=1), delay=60.0, visibility=5)
    live = LiveFault(fault, Trigger(fault.when))
    live.trigger.begin()
    assert fault.settle_seconds() == 10.0  # the visibility timeout (5 s) + the margin: when the second delivery comes
    with _on_watch(watch, live):
        watch.poll()
        assert consumer.deleted == [cids[1]] and watch.received() == 2  # the slow one is processed, not yet deleted
    assert consumer.deleted == [cids[1], cids[0]]  # the scenario's end does the pending delete
    assert live.log.messages[cids[0]]["slow"] == 1
