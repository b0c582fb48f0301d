"""Issue 10's scenario fields: typed attributes, sizes by name; good forms load, bad ones are one line each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness import paths
from harness.errors import InputFileError
from harness.payload import wire
from harness.payload.generator import GeneratedPayload
from harness.payload.publisher import Publisher, PublishSettings
from harness.scenario.execute.send import body_size, plan, wire_attributes
from harness.scenario.format.loader import load_scenario
from harness.scenario.format.model import Attribute, Size
from harness.scenario.format.units import parse_named_size

FORMATS = Path(__file__).resolve().parents[1] / "scenarios" / "formats.topology.yaml"
SEND = "send:\n  from: A/us-east-1\n  topic: orders\n  count: 3\n"
PRICES = "send:\n  from: A/us-east-1\n  topic: prices\n  count: 2\n"


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    shutil.copy(paths.REFERENCE_TOPOLOGY, tmp_path / "reference.topology.yaml")
    shutil.copy(FORMATS, tmp_path / "formats.topology.yaml")
    return tmp_path


def _load(workdir: Path, body: str, topology: str = "reference"):
    path = workdir / "x.scenario.yaml"
    path.write_text(f"name: x\ntopology: {topology}.topology.yaml\n" + body)
    return path, load_scenario(path)


def _problem(workdir: Path, body: str, topology: str = "reference") -> tuple[Path, str]:
    path = workdir / "x.scenario.yaml"
    path.write_text(f"name: x\ntopology: {topology}.topology.yaml\n" + body)
    with pytest.raises(InputFileError) as err:
        load_scenario(path)
    lines = str(err.value).splitlines()
    assert len(lines) == 1, lines
    return path, lines[0]


# ---- typed attributes ------------------------------------------------------------------------------


def test_typed_attributes_load_with_their_type_and_plain_values_stay_strings(workdir: Path) -> None:
    _, sc = _load(workdir, SEND + """\
  attributes:
    kind: invoice
    price: {type: Number, value: 20.5}
    big: {type: Number, value: "-12e3"}
    blob: {type: Binary, value: AAEC}
    tags: {type: String.Array, value: [a, 3, true]}
    label: {type: String, value: 42}
expect:
  - {queue: b-eu, within: 5s}
""")
    attrs = sc.send.attributes
    assert attrs["kind"] == Attribute("String", "invoice")
    assert attrs["price"] == Attribute("Number", "20.5") and attrs["big"] == Attribute("Number", "-12e3")
    assert attrs["tags"] == Attribute("String.Array", '["a",3,true]')
    assert attrs["label"] == Attribute("String", "42")
    sent = wire_attributes(attrs)
    assert sent["blob"] == {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02"}
    assert sent["price"] == {"DataType": "Number", "StringValue": "20.5"}
    assert sent["kind"] == {"DataType": "String", "StringValue": "invoice"}
    assert wire_attributes({"old": "form"}) == {"old": {"DataType": "String", "StringValue": "form"}}


ATTRIBUTE_CASES = [
    ("unknown-type", "{type: Integer, value: 1}", "send.attributes.a.type", "unknown attribute type \"Integer\""),
    ("number-text", "{type: Number, value: twenty}", "send.attributes.a.value", "expected a number"),
    ("number-too-precise", "{type: Number, value: 1234567890123456789012345678901234567890}", "send.attributes.a.value", "38 digits"),
    ("binary-not-base64", "{type: Binary, value: 'not base64!'}", "send.attributes.a.value", "not non-empty base64"),
    ("array-not-list", "{type: String.Array, value: abc}", "send.attributes.a.value", "expected a list"),
    ("array-of-maps", "{type: String.Array, value: [{x: 1}]}", "send.attributes.a.value", "not lists or mappings"),
    ("missing-value", "{type: Number}", "send.attributes.a.value", "missing required field \"value\""),
    ("unknown-key", "{type: Number, value: 1, unit: kg}", "send.attributes.a.unit", "unknown field"),
    ("empty-string", "''", "send.attributes.a", "AWS refuses empty"),
    ("empty-typed", "{type: String, value: ''}", "send.attributes.a.value", "AWS refuses empty"),
    ("bare-number", "20", "send.attributes.a", "type: String|Number"),
]


@pytest.mark.parametrize("case", ATTRIBUTE_CASES, ids=[c[0] for c in ATTRIBUTE_CASES])
def test_bad_attribute_is_one_line_naming_the_field(workdir: Path, case: tuple) -> None:
    _, value, field, fragment = case
    path, line = _problem(workdir, SEND + f"  attributes:\n    a: {value}\n")
    assert line.startswith(f"{path}:8: {field}: "), line
    assert fragment in line, line


@pytest.mark.parametrize("name,fragment", [("AWS.trace", "reserved by AWS"), ("HarnessCorrelationId", "harness sets"), ("a..b", "'..'"), ("bad name", "1-256 letters")])
def test_bad_attribute_names_are_refused(workdir: Path, name: str, fragment: str) -> None:
    path, line = _problem(workdir, SEND + f"  attributes:\n    '{name}': x\n")
    assert line.startswith(f"{path}:8: send.attributes.") and fragment in line, line


def test_numeric_filter_on_a_string_attribute_is_refused_under_expect_and_expect_not(workdir: Path) -> None:
    """AWS matches numeric filters only against Number attributes; LocalStack 4.13.1 also against
    Strings. The kit enforces AWS's rule: a scenario relying on the difference is refused."""
    path, line = _problem(workdir, PRICES + "  attributes: {price: '20'}\nexpect:\n  - {queue: numeric, within: 5s}\n", "formats")
    assert line.startswith(f"{path}:9: expect[0].queue: ") and "matches only Number attributes" in line, line
    path, line = _problem(workdir, PRICES + "  attributes: {price: '5'}\nexpect_not:\n  - {queue: numeric, within: 2s}\n", "formats")
    assert line.startswith(f"{path}:9: expect_not[0].queue: ") and "LocalStack 4.13.1 does" in line, line
    _, ok = _load(workdir, PRICES + "  attributes: {price: {type: Number, value: 20}}\nexpect:\n  - {queue: numeric, within: 5s}\n", "formats")
    assert ok.send.attributes["price"].type == "Number"
    _, other = _load(workdir, PRICES + "  attributes: {price: '20'}\nexpect:\n  - {queue: every, within: 5s}\n", "formats")
    assert other.expect[0].queue == "every"  # no numeric filter on that subscription


# ---- sizes by name ---------------------------------------------------------------------------------


def test_named_sizes_parse_to_the_service_limits() -> None:
    assert parse_named_size("sns_limit") == 262144
    assert parse_named_size("sns_limit+1") == 262145
    assert parse_named_size("sqs_limit-1") == 1048575
    assert parse_named_size("sqs_limit - 1KiB") == 1048576 - 1024
    assert parse_named_size("256KiB") is None and parse_named_size("sns_limit+x") is None


def test_named_sizes_load_as_sizes_on_the_wire(workdir: Path) -> None:
    _, sc = _load(workdir, SEND + "  sizes: [sns_limit-1, sns_limit, sns_limit+1, 1KiB]\n  attributes: {kind: b}\nexpect:\n  - {queue: b-eu, within: 5s}\n")
    assert sc.send.sizes == (Size("sns_limit-1", 262143, True), Size("sns_limit", 262144, True), Size("sns_limit+1", 262145, True), Size("1KiB", 1024))


@pytest.mark.parametrize("size,fragment", [("sns_limit-300000", "not a payload size"), ("sns_limit+lots", "not a payload size"), ("sqs_limit-1046000", "at least 4096")])
def test_bad_named_sizes_are_one_line(workdir: Path, size: str, fragment: str) -> None:
    path, line = _problem(workdir, SEND + f"  size: {size}\n")
    assert line.startswith(f"{path}:7: send.size: ") and fragment in line, line


def test_a_named_size_must_leave_room_for_a_body(workdir: Path) -> None:
    big = "x" * 4000
    path, line = _problem(workdir, SEND + f"  size: 4KiB\n  sizes: [4KiB]\n  attributes: {{a: {big}}}\n".replace("  size: 4KiB\n", "").replace("[4KiB]", "[sqs_limit-1044480]"))
    assert "leaves no room" in line or "attributes take up to" in line, line


@pytest.mark.parametrize("via,limit", [("sns", wire.SNS_MAX_MESSAGE_BYTES), ("sqs", wire.SQS_MAX_MESSAGE_BYTES)])
def test_a_named_size_is_exact_on_the_wire_so_the_limit_stays_inline_and_one_more_byte_is_offloaded(workdir: Path, via: str, limit: int) -> None:
    name = f"{via}_limit"
    target = "topic: orders" if via == "sns" else "queue: b-eu"
    _, sc = _load(workdir, f"send:\n  from: A/us-east-1\n  {target}\n  count: 3\n  sizes: [{name}-1, {name}, {name}+1]\n"
                  "  attributes: {kind: b, n: {type: Number, value: 7}}\nexpect:\n  - {queue: b-eu, within: 5s}\n")
    publisher = Publisher(None, PublishSettings(bucket="b", inline_sha256=False))
    attrs = wire_attributes(sc.send.attributes)
    token = "run-1234.sns-size-boundaries.abcdef"
    for out, expected_wire, offloaded in zip(plan(sc.send, token), (limit - 1, limit, limit + 1), (False, False, True)):
        own = {wire.CORRELATION_ATTRIBUTE: {"DataType": "String", "StringValue": out.correlation_id}}
        assert wire.message_bytes(out.size, {**attrs, **own}) == expected_wire
        assert publisher.plan(via, GeneratedPayload(1, out.size), attrs, out.correlation_id) is offloaded


def test_body_size_of_a_plain_size_ignores_attributes() -> None:
    assert body_size(Size("1KiB", 1024), {"a": Attribute("String", "x" * 100)}, "cid") == 1024


# ---- filter_policy_scope and nested filter policies (topology) -------------------------------------

TOPOLOGY_HEAD = """\
name: t
accounts: {A: {id: "111111111111"}, B: {id: "222222222222"}}
regions: [us-east-1]
topics: {orders: {account: A, region: us-east-1}}
queues: {q: {account: B, region: us-east-1}}
subscriptions:
  - topic: orders
    queue: q
"""


def _topology_problem(tmp_path: Path, sub: str) -> tuple[Path, str]:
    from harness.topology.loader import load_topology

    path = tmp_path / "t.topology.yaml"
    path.write_text(TOPOLOGY_HEAD + sub)
    with pytest.raises(InputFileError) as err:
        load_topology(path)
    lines = str(err.value).splitlines()
    assert len(lines) == 1, lines
    return path, lines[0]


def test_body_scope_and_nested_policy_load(tmp_path: Path) -> None:
    from harness.topology.loader import load_topology

    path = tmp_path / "t.topology.yaml"
    path.write_text(TOPOLOGY_HEAD + "    filter_policy_scope: MessageBody\n    filter_policy: {a: {b: {c: [x, {prefix: y}]}}, d: [{exists: true}]}\n")
    [sub] = load_topology(path).subscriptions
    assert sub.filter_policy_scope == "MessageBody"
    assert sub.filter_policy == {"a": {"b": {"c": ["x", {"prefix": "y"}]}}, "d": [{"exists": True}]}
    path.write_text(TOPOLOGY_HEAD + "    filter_policy: {kind: [a]}\n")
    assert load_topology(path).subscriptions[0].filter_policy_scope == "MessageAttributes"


SCOPE_CASES = [
    ("nested-without-body-scope", "    filter_policy: {a: {b: [x]}}\n", 9, "subscriptions[0].filter_policy.a", "add filter_policy_scope: MessageBody"),
    ("unknown-scope", "    filter_policy_scope: Body\n    filter_policy: {a: [x]}\n", 9, "subscriptions[0].filter_policy_scope", "unknown scope"),
    ("scope-without-policy", "    filter_policy_scope: MessageBody\n", 9, "subscriptions[0].filter_policy_scope", "no filter_policy to scope"),
    ("six-nested-keys", "    filter_policy_scope: MessageBody\n    filter_policy: {a: {b: [1], c: [1]}, d: {e: [1], f: [1]}, g: [1], h: [1]}\n", 10, "subscriptions[0].filter_policy", "6 keys but SNS allows at most 5"),
    ("151-combinations", "    filter_policy_scope: MessageBody\n    filter_policy: {a: {b: [" + ", ".join(map(str, range(151))) + "]}}\n", 10, "subscriptions[0].filter_policy", "151 value combinations"),
    ("too-deep", "    filter_policy_scope: MessageBody\n    filter_policy: {a: {b: {c: {d: {e: {f: [1]}}}}}}\n", 10, "subscriptions[0].filter_policy.a.b.c.d.e", "deeper than 5 levels"),
    ("unknown-operator", "    filter_policy: {a: [{startswith: x}]}\n", 9, "subscriptions[0].filter_policy.a[0].startswith", "unknown filter operator"),
    ("numeric-out-of-range", "    filter_policy: {a: [{numeric: ['>', 2000000000]}]}\n", 9, "subscriptions[0].filter_policy.a[0].numeric", "between -1e9 and 1e9"),
    ("numeric-malformed", "    filter_policy: {a: [{numeric: [10]}]}\n", 9, "subscriptions[0].filter_policy.a[0].numeric", "operators =, <"),
]


@pytest.mark.parametrize("case", SCOPE_CASES, ids=[c[0] for c in SCOPE_CASES])
def test_bad_filter_policy_scope_or_nesting_is_one_line(tmp_path: Path, case: tuple) -> None:
    _, sub, line, field, fragment = case
    path, problem = _topology_problem(tmp_path, sub)
    assert problem.startswith(f"{path}:{line}: {field}: ") and fragment in problem, problem


def test_body_scope_is_rendered_for_the_module(tmp_path: Path) -> None:
    from harness.kinds.subscription.provision import PART
    from harness.provision.targets import Target
    from harness.topology.loader import load_topology

    topo = load_topology(FORMATS)
    [sub] = [s for s in topo.subscriptions if s.queue == "by-body"]

    class Ctx:  # only what module_call reads
        topology = topo
        target = Target("localstack", "http://127.0.0.1:4566")

        @staticmethod
        def source(d: str) -> str:
            return d

        @staticmethod
        def provider_for(account: str, region: str) -> str:
            return f"aws.{account}_{region}"

    call = PART.module_call(Ctx, sub.key, sub)  # type: ignore[arg-type]
    assert call["filter_scope"] == "MessageBody"
    assert call["filter_policy"] == '{"order": {"kind": ["invoice"], "total": [{"numeric": [">", 100]}]}}'


# ---- body: a JSON payload body filters can match (scenario) ----------------------------------------

BODY_SEND = "send:\n  from: A/us-east-1\n  topic: prices\n"


def test_a_json_body_loads_and_is_every_message_payload(workdir: Path) -> None:
    _, sc = _load(workdir, BODY_SEND + "  count: 2\n  body: {order: {kind: invoice, total: 120}}\nexpect:\n  - {queue: by-body, within: 5s}\n", "formats")
    assert sc.send.body == '{"order":{"kind":"invoice","total":120}}'
    outs = plan(sc.send, "t")
    assert [o.payload().read_range(0, 100) for o in outs] == [sc.send.body.encode()] * 2
    assert outs[0].size == len(sc.send.body)


BODY_CASES = [
    ("no-body", BODY_SEND + "expect:\n  - {queue: by-body, within: 5s}\n", 7, "expect[0].queue", "payloads are not JSON; add body"),
    ("offload-always", BODY_SEND + "  body: {order: {kind: invoice}}\n  offload: always\nexpect:\n  - {queue: by-body, within: 5s}\n", 9, "expect[0].queue", "offload: always"),
    ("body-and-size", BODY_SEND + "  body: {a: 1}\n  size: 1KiB\n", 7, "send.size", "remove size"),
    ("body-not-mapping", BODY_SEND + "  body: hello\n", 6, "send.body", "expected a mapping"),
]


@pytest.mark.parametrize("case", BODY_CASES, ids=[c[0] for c in BODY_CASES])
def test_bad_body_or_unmatchable_body_filter_is_one_line(workdir: Path, case: tuple) -> None:
    _, body, line, field, fragment = case
    path, problem = _problem(workdir, body, "formats")
    assert problem.startswith(f"{path}:{line}: {field}: ") and fragment in problem, problem


# ---- several sends ---------------------------------------------------------------------------------

THREE_GROUPS = """\
sends:
  - {from: A/us-east-1, topic: steps, count: 5, group: g1}
  - {from: A/us-east-1, topic: steps, count: 5, group: g2, rate: 20}
  - {from: A/us-east-1, topic: steps, count: 5, group: g3}
expect:
  - {queue: steps-q, within: 10s, ordered: true}
"""


def test_sends_load_in_order_and_send_stays_one(workdir: Path) -> None:
    _, sc = _load(workdir, THREE_GROUPS, "formats")
    assert [s.group for s in sc.sends] == ["g1", "g2", "g3"] and sc.send.group == "g1"
    assert sc.sends[1].rate == 20.0
    _, one = _load(workdir, SEND + "expect:\n  - {queue: b-eu, within: 5s}\n")
    assert len(one.sends) == 1 and one.more_sends == ()
    _, mixed = _load(workdir, """\
sends:
  - {from: A/us-east-1, topic: orders, attributes: {kind: invoice}}
  - {from: B/eu-west-1, queue: c-us, count: 2}
expect:
  - {queue: c-us, within: 5s}
  - {queue: b-eu, within: 5s}
""")
    assert mixed.sends_to("c-us", {"orders": {"b-eu", "c-us"}}) == (0, 1)
    assert mixed.sends_to("b-eu", {"orders": {"b-eu", "c-us"}}) == (0,)


SENDS_CASES = [
    ("send-and-sends", SEND + "sends:\n  - {from: A/us-east-1, topic: orders}\n", "reference", 7, "sends", "either send: (one) or sends:"),
    ("sends-not-list", "sends: {from: A/us-east-1, topic: orders}\n", "reference", 3, "sends", "expected a list"),
    ("sends-empty", "sends: []\n", "reference", 3, "sends", "lists 0 sends"),
    ("same-group-twice", "sends:\n  - {from: A/us-east-1, topic: steps, group: g1}\n  - {from: A/us-east-1, topic: steps, group: g1}\n", "formats", 5, "sends[1]", "already sends FIFO group g1"),
    ("bad-entry", "sends:\n  - {from: A/us-east-1, topic: orders}\n  - {from: Z/us-east-1, topic: orders}\n", "reference", 5, "sends[1].from", "unknown account"),
    ("dead-letter-with-two", "sends:\n  - {from: A/us-east-1, queue: b-eu}\n  - {from: A/us-east-1, topic: orders}\ndead_letter: {queue: b-eu, within: 10s}\n",
     "reference", 6, "dead_letter", "follows the messages of one send"),
    ("no-send-reaches", "sends:\n  - {from: A/us-east-1, queue: b-eu}\n  - {from: B/eu-west-1, queue: c-us}\nexpect:\n  - {queue: b-ap, within: 5s}\n",
     "reference", 7, "expect[0].queue", "no send reaches queue b-ap"),
]


@pytest.mark.parametrize("case", SENDS_CASES, ids=[c[0] for c in SENDS_CASES])
def test_bad_sends_are_one_line(workdir: Path, case: tuple) -> None:
    _, body, topology, line, field, fragment = case
    path, problem = _problem(workdir, body, topology)
    assert problem.startswith(f"{path}:{line}: {field}: ") and fragment in problem, problem


# ---- subscription_dead_letter ----------------------------------------------------------------------

def test_subscription_dead_letter_loads_with_the_subscriptions_dlq(workdir: Path) -> None:
    _, sc = _load(workdir, SEND + "subscription_dead_letter: {queue: b-eu, within: 20s}\n")
    check = sc.subscription_dead_letter
    assert (check.topic, check.queue, check.dead_letter_queue, check.within) == ("orders", "b-eu", "b-sub-dlq", 20.0)


SUB_DLQ_CASES = [
    ("no-dlq", SEND + "subscription_dead_letter: {queue: b-ap, within: 20s}\n", 7, "subscription_dead_letter.queue", "has no dead_letter_queue"),
    ("not-subscribed", SEND + "subscription_dead_letter: {queue: b-eu-dlq, within: 20s}\n", 7, "subscription_dead_letter.queue", "not subscribed to topic orders"),
    ("direct-send", "send: {from: A/us-east-1, queue: b-eu}\nsubscription_dead_letter: {queue: b-eu, within: 20s}\n", 4, "subscription_dead_letter.queue", "send through a topic"),
    ("also-expected", SEND + "expect:\n  - {queue: b-eu, within: 5s}\nsubscription_dead_letter: {queue: b-eu, within: 20s}\n", 9, "subscription_dead_letter.queue", "also under expect"),
    ("without-send", "expect_denied:\n  - {from: C/us-east-1, action: send, queue: b-eu}\nsubscription_dead_letter: {queue: b-eu, within: 20s}\n", 5, "subscription_dead_letter", "sends none"),
]


@pytest.mark.parametrize("case", SUB_DLQ_CASES, ids=[c[0] for c in SUB_DLQ_CASES])
def test_bad_subscription_dead_letter_is_one_line(workdir: Path, case: tuple) -> None:
    _, body, line, field, fragment = case
    path, problem = _problem(workdir, body)
    assert problem.startswith(f"{path}:{line}: {field}: ") and fragment in problem, problem


def test_queue_outage_restores_after_the_name_is_free_again() -> None:
    """AWS refuses a deleted queue's name for 60 s: the restore waits (bounded), then recreates it with
    its attributes and tags; the body of the with-block runs while the queue is gone."""
    from botocore.exceptions import ClientError

    from harness.scenario.execute.outage import queue_outage

    url = "https://sqs.eu-west-1.amazonaws.com/222222222222/hx-r-b-eu"
    calls: list[tuple[str, dict]] = []

    class FakeSqs:
        refusals = 2

        def get_queue_attributes(self, **kw):
            return {"Attributes": {"VisibilityTimeout": "30", "QueueArn": "arn:x", "ApproximateNumberOfMessages": "4"}}

        def list_queue_tags(self, **kw):
            return {"Tags": {"harness:run-id": "r"}}

        def delete_queue(self, **kw):
            calls.append(("delete", kw))

        def create_queue(self, **kw):
            calls.append(("create", kw))
            if self.refusals:
                self.refusals -= 1
                raise ClientError({"Error": {"Code": "AWS.SimpleQueueService.QueueDeletedRecently", "Message": "wait"}}, "CreateQueue")
            return {"QueueUrl": url}

    slept: list[float] = []
    with queue_outage(FakeSqs(), url, sleep=slept.append):
        assert [c[0] for c in calls] == ["delete"]
    assert [c[0] for c in calls] == ["delete", "create", "create", "create"] and len(slept) == 2
    assert calls[-1][1] == {"QueueName": "hx-r-b-eu", "Attributes": {"VisibilityTimeout": "30"}, "tags": {"harness:run-id": "r"}}
