"""The kit's Lambda consumer without Lambda: SNS and SQS events in, receipts and Lambda's response
out; the scenario's behaviour applies to its own messages only."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from harness.payload import wire
from harness.payload.function_consumer import ACK, FAIL, REJECT, Behaviour, handle, records, seq_of
from harness.payload.message import ReceivedMessage
from harness.payload.outcome import Outcome, Verdict
from harness.payload.wire import S3Pointer

TOKEN = "run1.sc.abc"
TOPIC = "arn:aws:sns:us-east-1:111111111111:hx-run1-orders"
QUEUE = "arn:aws:sqs:eu-west-1:222222222222:hx-run1-b-fn-in"


def sns_event(*cids: str, pointer: bool = False) -> dict[str, Any]:
    body = wire.encode_pointer(S3Pointer("bucket", "key")) if pointer else "hello"
    attrs = {wire.CORRELATION_ATTRIBUTE: {"Type": "String", "Value": ""}, "kind": {"Type": "String", "Value": "invoice"}}
    if pointer:
        attrs[wire.RESERVED_ATTRIBUTE] = {"Type": "Number", "Value": "5000000"}
    return {"Records": [{"EventSource": "aws:sns", "Sns": {
        "Type": "Notification", "MessageId": f"m-{cid}", "TopicArn": TOPIC, "Message": body, "Timestamp": "2026-12-07T10:00:00.000Z",
        "MessageAttributes": {**attrs, wire.CORRELATION_ATTRIBUTE: {"Type": "String", "Value": cid}}}} for cid in cids]}


def sqs_event(*cids: str, receive: int = 1) -> dict[str, Any]:
    return {"Records": [{
        "eventSource": "aws:sqs", "eventSourceARN": QUEUE, "messageId": f"m-{cid}", "receiptHandle": "h", "body": "hello",
        "attributes": {"ApproximateReceiveCount": str(receive), "SentTimestamp": "1796000000000", "ApproximateFirstReceiveTimestamp": "1796000000500"},
        "messageAttributes": {wire.CORRELATION_ATTRIBUTE: {"dataType": "String", "stringValue": cid},
                              "blob": {"dataType": "Binary", "binaryValue": base64.b64encode(b"\x00\x01").decode()}},
    } for cid in cids]}


def run(event: dict[str, Any], behaviour: Behaviour = Behaviour(), partial: bool = True, attempts: dict[str, int] | None = None,
        seen: list[ReceivedMessage] | None = None, deleted: list[S3Pointer] | None = None, slept: list[float] | None = None):
    def verify(message: ReceivedMessage) -> Verdict:
        (seen if seen is not None else []).append(message)
        return Verdict(Outcome.INTACT, "5 bytes, sha256 matches", bytes_read=5, actual_sha256="ab" * 32, offloaded=message.pointer is not None,
                       bucket=message.pointer.bucket if message.pointer else None, key=message.pointer.key if message.pointer else None)

    def delete(pointer: S3Pointer) -> bool:
        (deleted if deleted is not None else []).append(pointer)
        return True

    clock = iter(range(1_000, 1_000_000, 1))
    return handle(event, function="b-fn", request_id="req-1", behaviour=behaviour, partial_batch=partial, verify=verify,
                  delete_payload=delete, attempts=attempts if attempts is not None else {}, clock=lambda: float(next(clock)),
                  sleep=(slept.append if slept is not None else lambda s: None))


def test_an_sns_record_is_read_as_the_envelope_a_queue_would_have_held() -> None:
    seen: list[ReceivedMessage] = []
    handled = run(sns_event(f"{TOKEN}.0", pointer=True), seen=seen)
    [msg] = seen
    assert msg.correlation_id == f"{TOKEN}.0" and msg.pointer == S3Pointer("bucket", "key") and msg.declared_size == 5000000
    assert msg.attributes == {"kind": {"DataType": "String", "StringValue": "invoice"}}
    assert msg.timestamps.sns_timestamp_ms == 1796637600000
    [receipt] = handled.receipts
    assert receipt["action"] == ACK and receipt["source"] == "aws:sns" and receipt["offloaded"] is True and receipt["bucket"] == "bucket"
    assert receipt["sns_timestamp_ms"] == 1796637600000 and receipt["sent_timestamp_ms"] is None
    assert receipt["invoked_at_ms"] <= receipt["done_at_ms"] and receipt["request_id"] == "req-1" and receipt["batch_size"] == 1
    assert handled.response is None and handled.failure is None  # an SNS invocation returns nothing


def test_an_sqs_batch_keeps_attributes_and_timestamps() -> None:
    seen: list[ReceivedMessage] = []
    handled = run(sqs_event(f"{TOKEN}.0", f"{TOKEN}.1"), seen=seen)
    assert [m.correlation_id for m in seen] == [f"{TOKEN}.0", f"{TOKEN}.1"]
    assert seen[0].attributes["blob"] == {"DataType": "Binary", "BinaryValue": b"\x00\x01"}
    assert seen[0].timestamps.sent_timestamp_ms == 1796000000000 and seen[0].timestamps.first_receive_timestamp_ms == 1796000000500
    assert handled.response == {"batchItemFailures": []} and [r["batch_size"] for r in handled.receipts] == [2, 2]


def test_fail_every_reports_only_those_items_and_only_for_the_scenarios_messages() -> None:
    behaviour = Behaviour(token=TOKEN, fail_every=2)
    handled = run(sqs_event(f"{TOKEN}.0", f"{TOKEN}.1", f"{TOKEN}.2", f"{TOKEN}.3", "other.run.5"), behaviour)
    assert handled.response == {"batchItemFailures": [{"itemIdentifier": f"m-{TOKEN}.1"}, {"itemIdentifier": f"m-{TOKEN}.3"}]}
    assert [r["action"] for r in handled.receipts] == [ACK, FAIL, ACK, FAIL, ACK]


def test_without_partial_batch_responses_a_failure_fails_the_invocation() -> None:
    handled = run(sqs_event(f"{TOKEN}.0", f"{TOKEN}.1"), Behaviour(token=TOKEN, fail_every=2), partial=False)
    assert handled.response is None and handled.failure is not None and "1 of 2 messages failed on purpose" in handled.failure
    assert len(handled.receipts) == 2, "receipts are written for every message, failed or not"


def test_reject_counts_receives_on_sqs_and_deliveries_of_one_environment_on_sns() -> None:
    reject = Behaviour(token=TOKEN, reject=1)
    assert [r["action"] for r in run(sqs_event(f"{TOKEN}.0", receive=1), reject).receipts] == [REJECT]
    assert [r["action"] for r in run(sqs_event(f"{TOKEN}.0", receive=2), reject).receipts] == [ACK]
    attempts: dict[str, int] = {}
    first = run(sns_event(f"{TOKEN}.0"), reject, attempts=attempts)
    assert first.failure and first.receipts[0]["action"] == REJECT and first.receipts[0]["receive"] == 1
    again = run(sns_event(f"{TOKEN}.0"), reject, attempts=attempts)  # Lambda's retry: the same event
    assert again.failure is None and again.receipts[0]["action"] == ACK and again.receipts[0]["receive"] == 2


def test_slow_and_delete_payloads_apply_to_acknowledged_messages_of_the_scenario() -> None:
    deleted: list[S3Pointer] = []
    slept: list[float] = []
    handled = run(sns_event(f"{TOKEN}.0", pointer=True), Behaviour(token=TOKEN, slow_ms=250, delete_payloads=True), deleted=deleted, slept=slept)
    assert slept == [0.25] and deleted == [S3Pointer("bucket", "key")] and handled.receipts[0]["payload_deleted"] is True
    untouched = run(sns_event("other.sc.0", pointer=True), Behaviour(token=TOKEN, slow_ms=250, delete_payloads=True), deleted=deleted, slept=slept)
    assert untouched.receipts[0]["payload_deleted"] is None and len(deleted) == 1 and slept == [0.25]


@pytest.mark.parametrize("text", [None, "", "not json", "[1, 2]", '{"reject": "x"}'])
def test_an_unreadable_behaviour_acknowledges_everything(text: str | None) -> None:
    assert Behaviour.parse(text) == Behaviour()


def test_behaviour_round_trips_and_says_what_it_does() -> None:
    b = Behaviour(token=TOKEN, reject=1, fail_every=3, slow_ms=200, delete_payloads=True)
    assert Behaviour.parse(b.to_json()) == b
    assert b.describe() == "rejects each message 1×, fails every 3rd message every time, takes 200 ms per message, deletes payloads on ack"
    assert not b.applies("run1.sc.abcd.1") and b.applies(f"{TOKEN}.7") and seq_of(f"{TOKEN}.7") == 7 and seq_of("x") is None


def test_records_without_a_known_source_are_skipped() -> None:
    assert records({"Records": [{"eventSource": "aws:kinesis"}]}, 0, {}) == []
    assert json.loads(json.dumps(run({"Records": []}).receipts)) == []
