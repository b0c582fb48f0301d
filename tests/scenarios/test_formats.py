"""Issue 10's scenario formats on a real LocalStack: typed attributes sent with their type, a numeric
filter matching Number attributes only (AWS's rule, enforced by the kit where LocalStack differs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.errors import InputFileError
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions
from harness.scenario.execute.send import SendLog, plan, sender_for
from harness.scenario.format.model import Scenario
from harness.scenario.judge.result import PASSED
from tests.scenarios.kit import applied_run, run_scenario, write_scenario

FORMATS = Path(__file__).resolve().parent / "formats.topology.yaml"


@pytest.fixture(scope="module")
def applied(endpoint_url: str) -> Iterator[Manifest]:
    with applied_run(FORMATS, endpoint_url) as manifest:
        yield manifest


def _scenario(tmp_path: Path, name: str, body: str) -> Scenario:
    return write_scenario(tmp_path, FORMATS, name, body)


_run = run_scenario


def test_typed_attributes_arrive_with_their_type(applied: Manifest, tmp_path: Path, aws) -> None:
    sc = _scenario(tmp_path, "typed", """\
        send:
          from: A/us-east-1
          topic: prices
          attributes:
            kind: plain
            price: {type: Number, value: 12.5}
            blob: {type: Binary, value: AAEC}
            tags: {type: String.Array, value: [a, 3]}
        expect:
          - {queue: every, within: 5s}
        """)
    sender = sender_for(applied, Sessions.for_manifest(applied), sc.send, {}, SendLog())
    [out] = plan(sc.send, "typed-probe")
    sender.send_one(out)
    queue = applied.queues["every"]
    sqs = aws("sqs", queue.account_id, queue.region)
    messages = sqs.receive_message(QueueUrl=queue.url, MessageAttributeNames=["All"], WaitTimeSeconds=5)["Messages"]
    attrs = messages[0]["MessageAttributes"]
    sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=messages[0]["ReceiptHandle"])
    assert attrs["kind"] == {"DataType": "String", "StringValue": "plain"}
    assert attrs["price"] == {"DataType": "Number", "StringValue": "12.5"}
    assert attrs["blob"] == {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02"}
    assert attrs["tags"] == {"DataType": "String.Array", "StringValue": '["a",3]'}


def test_numeric_filter_matches_a_number_attribute_and_a_string_one_is_refused_as_on_aws(applied: Manifest, tmp_path: Path) -> None:
    """On AWS a numeric filter matches Number attributes only. LocalStack 4.13.1 also delivers a String
    holding a number, so the kit refuses at validation the scenarios that would rely on that."""
    matched = _run(applied, _scenario(tmp_path, "number-matches", """\
        send: {from: A/us-east-1, topic: prices, count: 3, attributes: {price: {type: Number, value: 20}}}
        expect:
          - {queue: numeric, within: 10s}
          - {queue: every, within: 10s}
        """))
    assert matched.status == PASSED, matched.failures
    assert {p.key.queue: p.counts["intact"] for p in matched.paths} == {"numeric": 3, "every": 3}
    below = _run(applied, _scenario(tmp_path, "number-below", """\
        send: {from: A/us-east-1, topic: prices, count: 2, attributes: {price: {type: Number, value: 5}}}
        expect:
          - {queue: every, within: 10s}
        expect_not:
          - {queue: numeric, within: 3s}
        """))
    assert below.status == PASSED, below.failures
    for check in ("expect:\n  - {queue: numeric, within: 10s}\n", "expect_not:\n  - {queue: numeric, within: 3s}\n"):
        with pytest.raises(InputFileError) as err:
            _scenario(tmp_path, "string-price", "send: {from: A/us-east-1, topic: prices, attributes: {price: '20'}}\n" + check)
        [line] = str(err.value).splitlines()
        assert "numeric" in line and "Number" in line, line


def test_message_body_filter_routes_as_declared(applied: Manifest, tmp_path: Path, aws) -> None:
    """filter_policy_scope: MessageBody with a nested policy ({order: {kind: [invoice], total: [> 100]}}):
    provider 3.39 cannot set the scope, so the harness does after apply; JSON bodies route by their fields."""
    [entry] = [s for s in applied.subscriptions if s.queue == "by-body"]
    assert entry.filter_policy_scope == "MessageBody"
    topic = applied.topics["prices"]
    sns = aws("sns", applied.accounts[entry.created_by], topic.region)
    attrs = sns.get_subscription_attributes(SubscriptionArn=entry.arn)["Attributes"]
    assert attrs["FilterPolicyScope"] == "MessageBody", attrs
    matched = _run(applied, _scenario(tmp_path, "body-matches", """\
        send: {from: A/us-east-1, topic: prices, count: 3, body: {order: {kind: invoice, total: 120}}}
        expect:
          - {queue: by-body, within: 10s}
          - {queue: every, within: 10s}
        """))
    assert matched.status == PASSED, matched.failures
    assert {p.key.queue: p.counts["intact"] for p in matched.paths} == {"by-body": 3, "every": 3}
    for name, body in (("body-wrong-kind", "{order: {kind: refund, total: 120}}"), ("body-too-small", "{order: {kind: invoice, total: 50}}")):
        filtered = _run(applied, _scenario(tmp_path, name, f"""\
            send: {{from: A/us-east-1, topic: prices, count: 2, body: {body}}}
            expect:
              - {{queue: every, within: 10s}}
            expect_not:
              - {{queue: by-body, within: 3s}}
            """))
        assert filtered.status == PASSED, (name, filtered.failures)


def test_three_fifo_groups_sent_at_once_keep_order_per_group(applied: Manifest, tmp_path: Path, monkeypatch) -> None:
    """Issue 10 #2: three sends, one FIFO group each, run concurrently (so the groups interleave on
    the topic); every message is judged and the order is checked per group. The rate is there to
    interleave them, not to be measured: each send states half its rate as enough (the default 95 %
    made the scenario inconclusive once, 23.9 of 30 msg/s over 15 messages on a busy runner)."""
    recorded = []
    original = SendLog.record
    monkeypatch.setattr(SendLog, "record", lambda self, sent: (recorded.append(sent), original(self, sent))[1])
    sc = _scenario(tmp_path, "three-groups", """\
        sends:
          - {from: A/us-east-1, topic: steps, count: 15, group: g1, rate: 30, throughput: {min: 50%}}
          - {from: A/us-east-1, topic: steps, count: 15, group: g2, rate: 30, throughput: {min: 50%}}
          - {from: A/us-east-1, topic: steps, count: 15, group: g3, rate: 30, throughput: {min: 50%}}
        expect:
          - {queue: steps-q, within: 20s, ordered: true, duplicates: forbidden}
        """)
    result = _run(applied, sc)
    assert result.status == PASSED, result.failures + result.inconclusive_because
    [path] = result.paths  # the three sends share one delivery path
    assert path.counts["sent"] == 45 and path.counts["received"] == 45 and path.counts["intact"] == 45
    assert result.sent == 45 and len(result.send["sends"]) == 3
    groups = [s.group for s in sorted(recorded, key=lambda s: s.t_send)]
    switches = sum(1 for a, b in zip(groups, groups[1:]) if a != b)
    assert switches >= 10, f"the groups did not interleave: {groups}"
    assert len({s.correlation_id for s in recorded}) == 45
