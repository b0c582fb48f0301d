"""Functions in a topology: what a valid one becomes, and every refusal AWS (or the kit's modules)
would make, each one ``file:line: field:`` line with the fix — among them an SNS → function
subscription across regions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.errors import InputFileError
from harness.kinds.function.spec import Function
from harness.paths import REFERENCE_TOPOLOGY
from harness.topology.loader import load_topology
from harness.topology.model import Topology

HEAD = """\
name: t
accounts:
  A: {id: "111111111111"}
  B: {id: "222222222222"}
  C: {id: "333333333333"}
regions: [us-east-1, eu-west-1]
topics:
  orders: {account: A, region: us-east-1}
  orders-fifo: {account: A, region: us-east-1, fifo: true}
buckets:
  payloads: {account: A, region: us-east-1, readers: [B, C]}
"""
MARK = "# <-"


def _problems(tmp_path: Path, text: str) -> tuple[str, list[str]]:
    path = tmp_path / "t.topology.yaml"
    path.write_text(text)
    with pytest.raises(InputFileError) as err:
        load_topology(path)
    return str(path), [str(p) for p in err.value.problems]


def _line(text: str) -> int:
    [line] = [i for i, ln in enumerate(text.splitlines(), start=1) if MARK in ln]
    return line


def test_the_reference_topology_has_both_functions() -> None:
    topo = load_topology(REFERENCE_TOPOLOGY)
    assert topo.functions["c-fn"] == Function("c-fn", "C", "us-east-1", reads=("payloads",), max_retry_attempts=0, on_failure="c-fn-failed")
    assert topo.functions["c-fn"].retry_attempts == 0 and topo.functions_failing_to("c-fn-failed") == ["c-fn"]
    b = topo.functions["b-fn"]
    assert (b.account, b.region, b.queue, b.batch_size, b.batching_window, b.partial_batch, b.timeout) == ("B", "eu-west-1", "b-fn-in", 10, 1, True, 5)
    [sub] = [s for s in topo.subscriptions if s.function]
    assert (sub.topic, sub.endpoint, sub.protocol, sub.key, sub.queue) == ("orders", "c-fn", "lambda", "orders->c-fn", "")
    assert topo.topics_invoking("c-fn") == ["orders"] and topo.function_subscriber_accounts("orders") == ["C"]
    assert topo.subscriber_accounts("orders") == ["B", "C"]  # queues' accounts: the sqs statement only
    again = Topology.from_snapshot(topo.snapshot(), "x")
    assert again.functions == topo.functions and again.subscriptions == topo.subscriptions


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    field: str
    message: str


CASES = [
    Case("sns-to-function-across-regions",
         HEAD + "functions:\n  c-fn: {account: C, region: eu-west-1}\nsubscriptions:\n  - topic: orders\n    function: c-fn  # <-\n",
         "subscriptions[0].function",
         'function "c-fn" is in eu-west-1 but topic "orders" is in us-east-1; SNS invokes Lambda functions of the topic\'s region only, '
         "so use a function in us-east-1"),
    Case("fifo-topic-to-function",
         HEAD + "functions:\n  c-fn: {account: C, region: us-east-1}\nsubscriptions:\n  - topic: orders-fifo\n    function: c-fn  # <-\n",
         "subscriptions[0].function", "a FIFO topic delivers to SQS FIFO queues only; subscribe a FIFO queue and let the function poll it"),
    Case("raw-delivery-to-function",
         HEAD + "functions:\n  c-fn: {account: C, region: us-east-1}\nsubscriptions:\n  - {topic: orders, function: c-fn, raw_delivery: true}  # <-\n",
         "subscriptions[0]", "raw_delivery applies to queue endpoints"),
    Case("both-endpoints",
         HEAD + "queues:\n  q: {account: B, region: us-east-1}\nfunctions:\n  c-fn: {account: C, region: us-east-1}\n"
         "subscriptions:\n  - {topic: orders, queue: q, function: c-fn}  # <-\n", "subscriptions[0]", "name exactly one endpoint"),
    Case("unknown-function",
         HEAD + "subscriptions:\n  - topic: orders\n    function: nope  # <-\n", "subscriptions[0].function", 'unknown function "nope"'),
    Case("mapping-across-regions",
         HEAD + "queues:\n  q: {account: B, region: us-east-1, visibility_timeout: 60}\nfunctions:\n  b-fn:\n    account: B\n    region: eu-west-1\n"
         "    queue: q  # <-\n", "functions.b-fn.queue",
         "an event source mapping reads a queue of the function's own region only, so use a queue in eu-west-1"),
    Case("mapping-across-accounts",
         HEAD + "queues:\n  q: {account: A, region: eu-west-1, visibility_timeout: 60}\nfunctions:\n  b-fn:\n    account: B\n    region: eu-west-1\n"
         "    queue: q  # <-\n", "functions.b-fn.queue", "use a queue owned by B"),
    Case("visibility-shorter-than-timeout",
         HEAD + "queues:\n  q: {account: B, region: eu-west-1, visibility_timeout: 10}\nfunctions:\n  b-fn:\n    account: B\n    region: eu-west-1\n"
         "    timeout: 20\n    queue: q  # <-\n", "functions.b-fn.queue", "set queues.q.visibility_timeout to 20 or more"),
    Case("big-batch-without-window",
         HEAD + "queues:\n  q: {account: B, region: eu-west-1}\nfunctions:\n  b-fn:\n    account: B\n    region: eu-west-1\n    queue: q\n"
         "    batch_size: 50  # <-\n", "functions.b-fn.batch_size", "add batching_window: 1 or lower batch_size"),
    Case("fifo-batch-over-ten",
         HEAD + "queues:\n  q: {account: B, region: eu-west-1, fifo: true}\nfunctions:\n  b-fn:\n    account: B\n    region: eu-west-1\n    queue: q\n"
         "    batch_size: 20  # <-\n    batching_window: 1\n", "functions.b-fn.batch_size", "write batch_size: 10 or less"),
    Case("mapping-keys-without-queue",
         HEAD + "functions:\n  c-fn:\n    account: C\n    region: us-east-1\n    batch_size: 5  # <-\n", "functions.c-fn.batch_size",
         "add queue: <the queue it polls> or remove batch_size"),
    Case("reads-a-bucket-that-does-not-admit-it",
         HEAD.replace("readers: [B, C]", "readers: [B]") + "functions:\n  c-fn:\n    account: C\n    region: us-east-1\n    reads:\n      - payloads  # <-\n",
         "functions.c-fn.reads[0]", "add C to buckets.payloads.readers"),
    Case("key-does-not-let-it-decrypt",
         HEAD.replace("payloads: {account: A, region: us-east-1, readers: [B, C]}", "payloads: {account: A, region: us-east-1, readers: [B, C], kms_key: k}")
         + "keys:\n  k: {account: A, region: us-east-1, decrypt: [B]}\n"
         "functions:\n  c-fn:\n    account: C\n    region: us-east-1\n    reads:\n      - payloads  # <-\n",
         "functions.c-fn.reads[0]", "add C to keys.k.decrypt"),
    Case("function-named-like-a-queue",
         HEAD + "queues:\n  same: {account: B, region: eu-west-1}\nfunctions:\n  same: {account: B, region: eu-west-1}  # <-\n",
         "functions.same", 'a queue is named "same" too'),
    Case("on-failure-fifo-queue",
         HEAD + "queues:\n  dead: {account: C, region: us-east-1, fifo: true}\n"
         "functions:\n  c-fn:\n    account: C\n    region: us-east-1\n    on_failure: dead  # <-\nsubscriptions:\n  - {topic: orders, function: c-fn}\n",
         "functions.c-fn.on_failure", "Lambda sends the records of failed invocations to standard queues only; use a standard queue"),
    Case("on-failure-other-region",
         HEAD + "queues:\n  dead: {account: C, region: eu-west-1}\n"
         "functions:\n  c-fn:\n    account: C\n    region: us-east-1\n    on_failure: dead  # <-\nsubscriptions:\n  - {topic: orders, function: c-fn}\n",
         "functions.c-fn.on_failure", "keeps an on-failure destination in the function's region, so use a queue in us-east-1"),
    Case("on-failure-the-polled-queue",
         HEAD + "queues:\n  q: {account: C, region: us-east-1}\n"
         "functions:\n  c-fn:\n    account: C\n    region: us-east-1\n    queue: q\n    on_failure: q  # <-\nsubscriptions:\n  - {topic: orders, function: c-fn}\n",
         "functions.c-fn.on_failure", "would be fed back to it; use a queue of their own"),
    Case("on-failure-key-of-another-account",
         HEAD + "keys:\n  k: {account: B, region: us-east-1, decrypt: [C]}\nqueues:\n  dead: {account: B, region: us-east-1, kms_key: k}\n"
         "functions:\n  c-fn:\n    account: C\n    region: us-east-1\n    on_failure: dead  # <-\nsubscriptions:\n  - {topic: orders, function: c-fn}\n",
         "functions.c-fn.on_failure", "encrypt the records it sends there; add C to keys.k.encrypt"),
    Case("on-failure-unknown-queue",
         HEAD + "functions:\n  c-fn:\n    account: C\n    region: us-east-1\n    on_failure: nope  # <-\nsubscriptions:\n  - {topic: orders, function: c-fn}\n",
         "functions.c-fn.on_failure", 'unknown queue "nope"'),
    Case("async-settings-without-a-topic",
         HEAD + "queues:\n  q: {account: B, region: eu-west-1}\nfunctions:\n  b-fn:\n    account: B\n    region: eu-west-1\n    queue: q\n"
         "    max_retry_attempts: 0  # <-\n", "functions.b-fn.max_retry_attempts",
         "only SNS invokes a function asynchronously here; subscribe function \"b-fn\" to a topic"),
    Case("retry-attempts-out-of-range",
         HEAD + "functions:\n  c-fn:\n    account: C\n    region: us-east-1\n    max_retry_attempts: 3  # <-\nsubscriptions:\n  - {topic: orders, function: c-fn}\n",
         "functions.c-fn.max_retry_attempts", "between 0 and 2"),
    Case("event-age-out-of-range",
         HEAD + "functions:\n  c-fn:\n    account: C\n    region: us-east-1\n    max_event_age: 30  # <-\nsubscriptions:\n  - {topic: orders, function: c-fn}\n",
         "functions.c-fn.max_event_age", "between 60 and 21600"),
    Case("boundary-of-another-account",
         HEAD.replace('C: {id: "333333333333"}', 'C: {id: "333333333333", aws: {function_boundary: "arn:aws:iam::222222222222:policy/b"}}  # <-'),
         "accounts.C.aws.function_boundary", "a permissions boundary must be a policy of the role's own account"),
    Case("topic-size-out-of-range",
         HEAD.replace("orders: {account: A, region: us-east-1}", "orders: {account: A, region: us-east-1, max_message_size: 2MiB}  # <-"),
         "topics.orders.max_message_size", "outside SNS's 1 KiB to 1 MiB"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_refusals_are_one_line_with_the_fix(tmp_path: Path, case: Case) -> None:
    file, problems = _problems(tmp_path, case.text)
    prefix = f"{file}:{_line(case.text)}: {case.field}: "
    matching = [p for p in problems if p.startswith(prefix)]
    assert matching, f"no problem starts with {prefix!r}; got:\n" + "\n".join(problems)
    assert any(case.message in p for p in matching), f"{case.message!r} not in {matching}"
    assert all("\n" not in p for p in problems)


def test_a_topic_over_256_kib_takes_at_most_100_subscriptions(tmp_path: Path) -> None:
    queues = "".join(f"  q{i}: {{account: B, region: us-east-1}}\n" for i in range(101))
    subs = "".join(f"  - {{topic: orders, queue: q{i}}}\n" for i in range(101))
    text = HEAD.replace("orders: {account: A, region: us-east-1}", "orders: {account: A, region: us-east-1, max_message_size: 512KiB}  # <-")
    _, problems = _problems(tmp_path, text + "queues:\n" + queues + "subscriptions:\n" + subs)
    assert any("topics.orders.max_message_size: a topic over 256 KiB may have at most 100 subscriptions" in p for p in problems), problems
    ok = tmp_path / "ok.topology.yaml"
    ok.write_text(text.replace("512KiB", "262144") + "queues:\n" + queues + "subscriptions:\n" + subs)
    assert load_topology(ok).topics["orders"].message_limit == 262144


def test_max_message_size_reads_bytes_and_binary_units(tmp_path: Path) -> None:
    for written, size in (("1MiB", 1 << 20), ("512KiB", 512 << 10), ("4096", 4096), ("1024 B", 1024)):
        path = tmp_path / "t.topology.yaml"
        path.write_text(HEAD.replace("orders: {account: A, region: us-east-1}", f"orders: {{account: A, region: us-east-1, max_message_size: {written}}}"))
        assert load_topology(path).topics["orders"].max_message_size == size
    assert load_topology(REFERENCE_TOPOLOGY).topics["orders"].message_limit == 256 << 10
