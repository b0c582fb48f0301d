"""Topology loader: malformed files give exact ``file:line: field:`` problems; the reference loads.

Each case is a small YAML text. Unless a case gives the line explicitly, the expected problem is on
the line marked ``# <-`` (so the numbers cannot drift when a case is edited).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from harness.errors import InputFileError
from harness.kinds.bucket.spec import BucketDraft
from harness.kinds.queue.spec import DeadLetter, Queue, QueueDraft
from harness.kinds.subscription.spec import Subscription
from harness.kinds.topic.spec import TopicDraft
from harness.paths import REFERENCE_TOPOLOGY
from harness.topology.cross_checks import check_names_one_to_one
from harness.topology.drafts import AccountDraft, Drafts, Ref
from harness.topology.loader import load_topology
from harness.topology.model import Account, AwsAccess
from harness.topology.sourced_yaml import parse_yaml

# A valid start that most cases extend: two accounts, two regions.
HEAD = """\
name: t
accounts:
  A: {id: "111111111111"}
  B: {id: "222222222222"}
regions: [us-east-1, eu-west-1]
"""

MARK = "# <-"


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    field: str
    message: str  # a fragment the message must contain
    line: int | None = None  # default: the line carrying the "# <-" marker


CASES = [
    # ---- top level ----------------------------------------------------------------------------
    Case("unknown-top-level-key", HEAD + "colour: blue  # <-\n", "colour", 'unknown field "colour"'),
    Case(
        "top-level-key-typo-suggests",
        HEAD + "subscription: []  # <-\n",
        "subscription",
        "did you mean 'subscriptions'?",
    ),
    Case(
        "missing-required-name",
        "accounts:  # <-\n  A: {id: \"111111111111\"}\nregions: [us-east-1]\n",
        "name",
        'missing required field "name"; add name:',
    ),
    Case("bad-topology-name", HEAD.replace("name: t", "name: My_Topo  # <-"), "name", "not a valid topology name"),
    Case("empty-file", "", "(document)", "the file is empty", line=1),
    Case(
        "yaml-syntax-error",
        HEAD + "topics:\n  t1: {account: A, region: us-east-1\n  t2: {account: A}  # <-\n",
        "(yaml)",
        "invalid YAML",
    ),
    Case("root-is-a-list", "- name: t\n", "(document)", "expected a mapping", line=1),
    # ---- accounts -----------------------------------------------------------------------------
    Case(
        "account-id-11-digits",
        'name: t\naccounts:\n  A: {id: "111111111111"}\n  B: {id: "22222222222"}  # <-\nregions: [us-east-1]\n',
        "accounts.B.id",
        '"22222222222" is not a 12-digit AWS account id; write the id as a quoted 12-digit string',
    ),
    Case(
        "account-id-unquoted-int",
        "name: t\naccounts:\n  A: {id: 111111111111}  # <-\nregions: [us-east-1]\n",
        "accounts.A.id",
        'written as a number, so YAML would drop any leading zeros; quote it: id: "111111111111"',
    ),
    Case(
        "duplicate-account-ids",
        'name: t\naccounts:\n  A: {id: "111111111111"}\n  B: {id: "111111111111"}  # <-\nregions: [us-east-1]\n',
        "accounts.B.id",
        '"111111111111" is already the id of account A',
    ),
    Case(
        "bad-role-arn",
        'name: t\naccounts:\n  A:\n    id: "111111111111"\n    aws:\n'
        '      role_arn: "arn:aws:iam::111111111111:user/bob"  # <-\nregions: [us-east-1]\n',
        "accounts.A.aws.role_arn",
        "is not an IAM role ARN",
    ),
    Case(
        "role-arn-account-mismatch",
        'name: t\naccounts:\n  A: {id: "111111111111", aws: {role_arn: "arn:aws:iam::999999999999:role/x"}}  # <-\n'
        "regions: [us-east-1]\n",
        "accounts.A.aws.role_arn",
        "the role is in account 999999999999 but account A has id 111111111111",
    ),
    Case(
        "account-is-a-list",
        'name: t\naccounts:\n  A: [111111111111]  # <-\nregions: [us-east-1]\n',
        "accounts.A",
        "expected a mapping (key: value lines) but found a list",
    ),
    # ---- regions ------------------------------------------------------------------------------
    Case(
        "unknown-region-with-suggestion",
        HEAD.replace("regions: [us-east-1, eu-west-1]", "regions:\n  - us-east-1\n  - eu-wset-1  # <-"),
        "regions[1]",
        "\"eu-wset-1\" is not a known AWS region; did you mean 'eu-west-1'?",
    ),
    Case(
        "duplicate-region",
        HEAD.replace("regions: [us-east-1, eu-west-1]", "regions:\n  - us-east-1\n  - us-east-1  # <-"),
        "regions[1]",
        "listed twice",
    ),
    Case(
        "region-not-listed",
        HEAD + "topics:\n  orders:\n    account: A\n    region: ap-southeast-2  # <-\n",
        "topics.orders.region",
        '"ap-southeast-2" is not in the top-level regions list; add it to regions: or use one of us-east-1, eu-west-1',
    ),
    # ---- topics / queues / buckets ------------------------------------------------------------
    Case(
        "duplicate-queue-names",
        HEAD + "queues:\n  q1: {account: B, region: eu-west-1}\n  q1: {account: B, region: us-east-1}  # <-\n",
        "queues.q1",
        'duplicate key "q1" (first defined at line',
    ),
    Case(
        "unknown-account-reference",
        HEAD + "queues:\n  q1:\n    account: D  # <-\n    region: eu-west-1\n",
        "queues.q1.account",
        'unknown account "D"; use one of A, B',
    ),
    Case(
        "missing-required-region",
        HEAD + "queues:\n  q1:  # <-\n    account: B\n",
        "queues.q1.region",
        'missing required field "region"; add region: <one of us-east-1, eu-west-1>',
    ),
    Case(
        "unknown-queue-field-suggests",
        HEAD + "queues:\n  q1:\n    account: B\n    region: eu-west-1\n    visibilty_timeout: 5  # <-\n",
        "queues.q1.visibilty_timeout",
        "did you mean 'visibility_timeout'?",
    ),
    Case(
        "visibility-timeout-out-of-range",
        HEAD + "queues:\n  q1:\n    account: B\n    region: eu-west-1\n    visibility_timeout: 43201  # <-\n",
        "queues.q1.visibility_timeout",
        "43201 is out of range; write a whole number between 0 and 43200",
    ),
    Case(
        "retention-too-short",
        HEAD + "queues:\n  q1: {account: B, region: eu-west-1, retention: 59}  # <-\n",
        "queues.q1.retention",
        "59 is out of range; write a whole number between 60 and 1209600",
    ),
    Case(
        "unknown-dead-letter-queue",
        HEAD + "queues:\n  q1:\n    account: B\n    region: eu-west-1\n"
        "    dead_letter:\n      queue: q1-dlq  # <-\n      max_receive_count: 3\n",
        "queues.q1.dead_letter.queue",
        'unknown queue "q1-dlq"; use one of the queues defined under queues: (q1)',
    ),
    Case(
        "dead-letter-queue-in-another-region",
        HEAD + "queues:\n"
        "  q1: {account: B, region: eu-west-1, dead_letter: {queue: dlq, max_receive_count: 3}}  # <-\n"
        "  dlq: {account: B, region: us-east-1}\n",
        "queues.q1.dead_letter.queue",
        "SQS needs the DLQ in the same region",
    ),
    Case(
        "dead-letter-queue-in-another-account",
        HEAD + "queues:\n"
        "  q1: {account: B, region: eu-west-1, dead_letter: {queue: dlq, max_receive_count: 3}}  # <-\n"
        "  dlq: {account: A, region: eu-west-1}\n",
        "queues.q1.dead_letter.queue",
        "SQS needs the DLQ in the same account",
    ),
    Case(
        "dead-letter-queue-fifo-mismatch",
        HEAD + "queues:\n  q1:\n    account: B\n    region: eu-west-1\n    fifo: true\n"
        "    dead_letter: {queue: dlq, max_receive_count: 3}  # <-\n"
        "  dlq: {account: B, region: eu-west-1}\n",
        "queues.q1.dead_letter.queue",
        "the DLQ of a FIFO queue must be FIFO too",
    ),
    Case(
        "dead-letter-queue-is-itself",
        HEAD + "queues:\n  q1: {account: B, region: eu-west-1, dead_letter: {queue: q1, max_receive_count: 3}}  # <-\n",
        "queues.q1.dead_letter.queue",
        "cannot be its own dead-letter queue",
    ),
    Case(
        "max-receive-count-out-of-range",
        HEAD + "queues:\n  q1:\n    account: B\n    region: eu-west-1\n"
        "    dead_letter:\n      queue: dlq\n      max_receive_count: 0  # <-\n"
        "  dlq: {account: B, region: eu-west-1}\n",
        "queues.q1.dead_letter.max_receive_count",
        "0 is out of range; write a whole number between 1 and 1000",
    ),
    Case(
        "dead-letter-missing-max-receive-count",
        HEAD + "queues:\n  q1:\n    account: B\n    region: eu-west-1\n    dead_letter: {queue: dlq}  # <-\n"
        "  dlq: {account: B, region: eu-west-1}\n",
        "queues.q1.dead_letter.max_receive_count",
        'missing required field "max_receive_count"',
    ),
    Case(
        "list-instead-of-mapping",
        HEAD + "queues:\n  q1:  # <-\n    - account: B\n    - region: eu-west-1\n",
        "queues.q1",
        "expected a mapping (key: value lines) but found a list",
    ),
    Case(
        "mapping-instead-of-string",
        HEAD + "topics:\n  orders:\n    account: {name: A}  # <-\n    region: us-east-1\n",
        "topics.orders.account",
        "expected an account name but found a mapping",
    ),
    Case(
        "null-instead-of-string",
        HEAD + "topics:\n  orders:\n    account:  # <-\n    region: us-east-1\n",
        "topics.orders.account",
        "expected an account name but found an empty value",
    ),
    Case(
        "fifo-as-yes-string",
        HEAD + "topics:\n  orders: {account: A, region: us-east-1, fifo: \"yes\"}  # <-\n",
        "topics.orders.fifo",
        'expected true or false but found "yes"',
    ),
    Case(
        "content-based-deduplication-without-fifo",
        HEAD + "queues:\n  q1:\n    account: B\n    region: eu-west-1\n    content_based_deduplication: true  # <-\n",
        "queues.q1.content_based_deduplication",
        "only FIFO queues have content-based deduplication; set fifo: true",
    ),
    Case(
        "fifo-suffix-in-logical-name",
        HEAD + "queues:\n  q1.fifo: {account: B, region: eu-west-1, fifo: true}  # <-\n",
        "queues.q1.fifo",
        'do not write .fifo in the logical queue name (the harness adds it); name it "q1" and set fifo: true',
    ),
    Case(
        "publishers-unknown-account",
        HEAD + "topics:\n  orders: {account: A, region: us-east-1, publishers: [Z]}  # <-\n",
        "topics.orders.publishers[0]",
        'unknown account "Z"',
    ),
    Case(
        "bucket-readers-not-a-list",
        HEAD + "buckets:\n  payloads: {account: A, region: us-east-1, readers: B}  # <-\n",
        "buckets.payloads.readers",
        'expected a list but found "B"; write a list of account names, e.g. readers: [B]',
    ),
    Case(
        "bad-bucket-name",
        HEAD + "buckets:\n  Payloads_1: {account: A, region: us-east-1}  # <-\n",
        "buckets.Payloads_1",
        "is not a valid bucket name; use 1-30 lowercase letters",
    ),
    # ---- subscriptions ------------------------------------------------------------------------
    Case(
        "subscriptions-not-a-list",
        HEAD + "subscriptions:  # <-\n  orders: b-eu\n",
        "subscriptions",
        "expected a list but found a mapping",
    ),
    Case(
        "subscription-unknown-topic",
        HEAD + "queues:\n  q1: {account: B, region: eu-west-1}\n"
        "subscriptions:\n  - topic: ordrs  # <-\n    queue: q1\n",
        "subscriptions[0].topic",
        'unknown topic "ordrs"',
    ),
    Case(
        "subscription-missing-queue",
        HEAD + "topics:\n  orders: {account: A, region: us-east-1}\nsubscriptions:\n  - topic: orders  # <-\n",
        "subscriptions[0].queue",
        'missing required field "queue"',
    ),
    Case(
        "fifo-topic-to-standard-queue",
        HEAD + "topics:\n  orders: {account: A, region: us-east-1, fifo: true}\n"
        "queues:\n  q1: {account: B, region: eu-west-1}\n"
        "subscriptions:\n  - topic: orders\n    queue: q1  # <-\n",
        "subscriptions[0].queue",
        "a FIFO topic delivers only to FIFO queues, so set fifo: true on the queue or use a standard topic",
    ),
    Case(
        "standard-topic-to-fifo-queue",
        HEAD + "topics:\n  orders: {account: A, region: us-east-1}\n"
        "queues:\n  q1: {account: B, region: eu-west-1, fifo: true}\n"
        "subscriptions:\n  - topic: orders\n    queue: q1  # <-\n",
        "subscriptions[0].queue",
        "a standard topic cannot deliver to a FIFO queue",
    ),
    Case(
        "subscription-dlq-outside-subscriber-account",
        HEAD + "topics:\n  orders: {account: A, region: us-east-1}\n"
        "queues:\n  q1: {account: B, region: eu-west-1}\n  dlq: {account: A, region: us-east-1}\n"
        "subscriptions:\n  - topic: orders\n    queue: q1\n    dead_letter_queue: dlq  # <-\n",
        "subscriptions[0].dead_letter_queue",
        "a subscription DLQ must be in the subscribing queue's account (B)",
    ),
    Case(
        "subscription-dlq-outside-topic-region",
        HEAD + "topics:\n  orders: {account: A, region: us-east-1}\n"
        "queues:\n  q1: {account: B, region: eu-west-1}\n  dlq: {account: B, region: eu-west-1}\n"
        "subscriptions:\n  - topic: orders\n    queue: q1\n    dead_letter_queue: dlq  # <-\n",
        "subscriptions[0].dead_letter_queue",
        "a subscription DLQ must be in the topic's region (us-east-1); use a queue in us-east-1",
    ),
    Case(
        "subscription-dlq-fifo-mismatch",
        HEAD + "topics:\n  orders: {account: A, region: us-east-1, fifo: true}\n"
        "queues:\n  q1: {account: B, region: eu-west-1, fifo: true}\n  dlq: {account: B, region: us-east-1}\n"
        "subscriptions:\n  - {topic: orders, queue: q1, dead_letter_queue: dlq}  # <-\n",
        "subscriptions[0].dead_letter_queue",
        "a subscription DLQ must match the topic, so use a FIFO queue",
    ),
    Case(
        "duplicate-subscription",
        HEAD + "topics:\n  orders: {account: A, region: us-east-1}\n"
        "queues:\n  q1: {account: B, region: eu-west-1}\n"
        "subscriptions:\n  - {topic: orders, queue: q1}\n  - {topic: orders, queue: q1, raw_delivery: true}  # <-\n",
        "subscriptions[1]",
        "orders -> q1 is already subscribed at subscriptions[0]",
    ),
    Case(
        "filter-policy-value-not-a-list",
        HEAD + "topics:\n  orders: {account: A, region: us-east-1}\n"
        "queues:\n  q1: {account: B, region: eu-west-1}\n"
        "subscriptions:\n  - topic: orders\n    queue: q1\n    filter_policy:\n      kind: invoice  # <-\n",
        "subscriptions[0].filter_policy.kind",
        'expected a list of values but found "invoice"; write kind: [invoice]',
    ),
    Case(
        "filter-policy-too-many-keys",
        HEAD + "topics:\n  orders: {account: A, region: us-east-1}\n"
        "queues:\n  q1: {account: B, region: eu-west-1}\n"
        "subscriptions:\n  - topic: orders\n    queue: q1\n"
        "    filter_policy: {a: [1], b: [1], c: [1], d: [1], e: [1], f: [1]}  # <-\n",
        "subscriptions[0].filter_policy",
        "has 6 attributes but SNS allows at most 5",
    ),
    Case(
        "raw-delivery-not-bool",
        HEAD + "topics:\n  orders: {account: A, region: us-east-1}\n"
        "queues:\n  q1: {account: B, region: eu-west-1}\n"
        "subscriptions:\n  - topic: orders\n    queue: q1\n    raw_delivery: 1  # <-\n",
        "subscriptions[0].raw_delivery",
        "expected true or false but found the number 1",
    ),
]


def _load_problems(tmp_path: Path, text: str) -> tuple[str, list[str]]:
    path = tmp_path / "topo.yaml"
    path.write_text(text)
    with pytest.raises(InputFileError) as exc:
        load_topology(path)
    return str(path), [str(p) for p in exc.value.problems]


def _marked_line(text: str) -> int:
    marked = [i for i, line in enumerate(text.splitlines(), start=1) if MARK in line]
    assert len(marked) == 1, "a case needs exactly one '# <-' marker or an explicit line"
    return marked[0]


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 20
    assert len({c.id for c in CASES}) == len(CASES)


def test_head_alone_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "head.yaml"
    path.write_text(HEAD)
    topology = load_topology(path)
    assert topology.regions == ("us-east-1", "eu-west-1")
    assert topology.topics == {} and topology.subscriptions == ()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_topology_reports_exact_location(tmp_path: Path, case: Case) -> None:
    file, problems = _load_problems(tmp_path, case.text)
    line = case.line if case.line is not None else _marked_line(case.text)
    prefix = f"{file}:{line}: {case.field}: "
    matching = [p for p in problems if p.startswith(prefix)]
    assert matching, f"no problem starts with {prefix!r}; got:\n" + "\n".join(problems)
    assert any(case.message in p for p in matching), f"{case.message!r} not in {matching}"
    for p in problems:  # every problem is exactly one line
        assert "\n" not in p and p.startswith(f"{file}:")


def test_all_problems_are_reported_one_per_line_sorted(tmp_path: Path) -> None:
    text = (
        "name: t\n"
        "accounts:\n"
        '  A: {id: "111111111111"}\n'
        "  B: {id: 222}\n"  # 4
        "regions: [us-east-1, eu-wset-1]\n"  # 5
        "queues:\n"
        "  q1:\n"
        "    account: B\n"
        "    region: us-east-1\n"
        "    retention: 5\n"  # 10
        "    colour: red\n"  # 11
        "subscriptions:\n"
        "  - {topic: nope, queue: q1}\n"  # 13
    )
    file, problems = _load_problems(tmp_path, text)
    assert [p.split(": ", 2)[0] + ": " + p.split(": ", 2)[1] for p in problems] == [
        f"{file}:4: accounts.B.id",
        f"{file}:5: regions[1]",
        f"{file}:10: queues.q1.retention",
        f"{file}:11: queues.q1.colour",
        f"{file}:13: subscriptions[0].topic",
    ]
    path = Path(file)
    with pytest.raises(InputFileError) as exc:
        load_topology(path)
    assert str(exc.value).splitlines() == problems
    assert exc.value.exit_code == 2


def test_unreadable_file_is_one_problem(tmp_path: Path) -> None:
    missing = tmp_path / "missing.topology.yaml"
    with pytest.raises(InputFileError) as exc:
        load_topology(missing)
    assert [str(p) for p in exc.value.problems] == [f"{missing}:1: (file): cannot read: no such file; check the path"]


def test_reference_topology_loads_to_the_expected_model() -> None:
    topology = load_topology(REFERENCE_TOPOLOGY)
    assert topology.name == "reference"
    assert topology.source == str(REFERENCE_TOPOLOGY)
    assert topology.regions == ("us-east-1", "eu-west-1", "ap-southeast-2")
    assert topology.accounts["B"] == Account(name="B", id="222222222222", aws=AwsAccess())
    assert list(topology.topics) == ["orders", "orders-fifo"]
    assert topology.topics["orders-fifo"].fifo is True
    assert topology.topics["orders"].fifo is False
    assert topology.queues["b-sub-dlq"].region == "us-east-1"
    assert topology.queues["b-sub-dlq"].account == "B"
    assert topology.queues["c-us"].producers == ("B",)
    assert topology.queues["b-eu"] == Queue(
        name="b-eu",
        account="B",
        region="eu-west-1",
        visibility_timeout=30,
        retention=345600,
        dead_letter=DeadLetter(queue="b-eu-dlq", max_receive_count=3),
        producers=("A",),
    )
    assert topology.queues["b-eu-dlq"].retention == 1209600
    assert topology.queues["b-eu-fifo"].dead_letter == DeadLetter("b-eu-fifo-dlq", 3)
    assert topology.buckets["payloads"].readers == ("B", "C")
    assert topology.buckets["payloads"].readers_may_delete is True
    assert topology.subscriptions[0] == Subscription(
        topic="orders", queue="b-eu", raw_delivery=True, dead_letter_queue="b-sub-dlq"
    )
    assert topology.subscriptions[1].raw_delivery is False
    policy = topology.subscriptions[2].filter_policy
    assert policy == {"kind": ["invoice"]} and type(policy) is dict
    assert [s.key for s in topology.subscriptions] == [
        "orders->b-eu",
        "orders->b-ap",
        "orders->c-us",
        "orders-fifo->b-eu-fifo",
        "orders->c-fn",
        "orders->b-fn-in",
    ]
    assert topology.subscriber_accounts("orders") == ["B", "C"]


def test_aws_access_is_read(tmp_path: Path) -> None:
    path = tmp_path / "aws.yaml"
    path.write_text(
        "name: t\naccounts:\n"
        '  A: {id: "111111111111", aws: {role_arn: "arn:aws:iam::111111111111:role/e2e", '
        'profile: dev, external_id: "ext-1"}}\n'
        "regions: [us-east-1]\n"
    )
    assert load_topology(path).accounts["A"].aws == AwsAccess(
        role_arn="arn:aws:iam::111111111111:role/e2e", profile="dev", external_id="ext-1"
    )


def _mangled_reference_documents(count: int, seed: int = 0) -> list[str]:
    """The reference topology with one value or key swapped for a value of another YAML type."""
    scalar = lambda value, tag: yaml.ScalarNode(f"tag:yaml.org,2002:{tag}", value)  # noqa: E731
    alternatives = [
        scalar("", "null"),
        scalar("7", "int"),
        scalar("yes", "bool"),
        scalar("x", "str"),
        yaml.SequenceNode("tag:yaml.org,2002:seq", [scalar("a", "str")]),
        yaml.MappingNode("tag:yaml.org,2002:map", [(scalar("k", "str"), scalar("v", "str"))]),
        yaml.MappingNode("tag:yaml.org,2002:map", []),
    ]
    root = yaml.compose(REFERENCE_TOPOLOGY.read_text(), Loader=yaml.SafeLoader)
    slots: list[tuple[yaml.Node, int, int | None]] = []

    def walk(node: yaml.Node) -> None:
        if isinstance(node, yaml.MappingNode):
            for i, (_, value) in enumerate(node.value):
                slots.extend([(node, i, 0), (node, i, 1)])
                walk(value)
        elif isinstance(node, yaml.SequenceNode):
            for i, value in enumerate(node.value):
                slots.append((node, i, None))
                walk(value)

    assert root is not None
    walk(root)
    rng = random.Random(seed)
    docs = []
    for _ in range(count):
        parent, i, which = rng.choice(slots)
        alt = rng.choice(alternatives)
        old = parent.value[i]
        if which is None:
            parent.value[i] = alt
        else:
            key, value = old
            parent.value[i] = (alt, value) if which == 0 else (key, alt)
        docs.append(yaml.serialize(root, Dumper=yaml.SafeDumper))
        parent.value[i] = old
    return docs


def test_mangled_reference_never_raises_anything_but_input_file_error(tmp_path: Path) -> None:
    path = tmp_path / "mangled.yaml"
    for text in _mangled_reference_documents(120):
        path.write_text(text)
        try:
            load_topology(path)
        except InputFileError as exc:
            assert exc.problems
            for problem in exc.problems:
                assert problem.line >= 1 and "\n" not in str(problem)


REFERENCE_BODY = REFERENCE_TOPOLOGY.read_text().split("\ntopics:", 1)[1]


@pytest.mark.parametrize(
    "accounts, message",
    [
        ("accounts: {}", "define at least one account"),
        ("accounts: [A, B]", "expected a mapping (key: value lines) but found a list"),
        ("accounts:", "expected a mapping (key: value lines) but found an empty value"),
    ],
)
def test_broken_accounts_section_is_one_error_not_one_per_reference(
    tmp_path: Path, accounts: str, message: str
) -> None:
    """Issue 9 #11: topics, queues and buckets naming accounts do not each repeat that there are none."""
    text = f"name: t\n{accounts}\nregions: [us-east-1, eu-west-1, ap-southeast-2]\ntopics:{REFERENCE_BODY}"
    file, problems = _load_problems(tmp_path, text)
    assert len(problems) == 1, "\n".join(problems)
    assert problems[0].startswith(f"{file}:2: accounts: ") and message in problems[0]


def test_broken_regions_section_is_one_error_not_one_per_reference(tmp_path: Path) -> None:
    text = 'name: t\naccounts: {A: {id: "111111111111"}}\nregions: us-east-1\n' + (
        "topics:\n  t1: {account: A, region: us-east-1}\nqueues:\n  q1: {account: A, region: us-east-1}\n"
    )
    file, problems = _load_problems(tmp_path, text)
    assert len(problems) == 1 and problems[0].startswith(f"{file}:3: regions: expected a list"), problems


# ---- issue 9 #2: every logical name maps one-to-one onto its Terraform and physical names -----

COLLISION_CASES = [
    Case(
        "accounts-differ-only-in-case",
        'name: t\naccounts:\n  B: {id: "111111111111"}\n  b: {id: "222222222222"}  # <-\nregions: [us-east-1]\n',
        "accounts.b",
        'account "b" and account "B" (line 3) both become the Terraform provider alias b_us_east_1',
    ),
    Case(
        "accounts-differ-only-in-dash-and-underscore",
        'name: t\naccounts:\n  x-y: {id: "111111111111"}\n  x_y: {id: "222222222222"}  # <-\nregions: [eu-west-1]\n',
        "accounts.x_y",
        "both become the Terraform provider alias x_y_eu_west_1",
    ),
    Case(
        "subscription-module-names-coincide",
        HEAD + "topics:\n  a--b: {account: A, region: us-east-1}\n  a: {account: A, region: us-east-1}\n"
        "queues:\n  c: {account: B, region: eu-west-1}\n  b--c: {account: B, region: eu-west-1}\n"
        "subscriptions:\n  - {topic: a--b, queue: c}\n  - {topic: a, queue: b--c}  # <-\n",
        "subscriptions[1]",
        "both become the Terraform module sub_a__b__c",
    ),
]


@pytest.mark.parametrize("case", COLLISION_CASES, ids=[c.id for c in COLLISION_CASES])
def test_names_that_fold_together_are_rejected(tmp_path: Path, case: Case) -> None:
    test_malformed_topology_reports_exact_location(tmp_path, case)


# ---- issue 9 #3: dead-letter queues may not form a cycle ----------------------------------------

DLQ_CYCLE_CASES = [
    Case(
        "two-queues-each-others-dlq",
        HEAD + "queues:\n"
        "  q1: {account: B, region: eu-west-1, dead_letter: {queue: q1-dlq, max_receive_count: 3}}\n"
        "  q1-dlq: {account: B, region: eu-west-1, dead_letter: {queue: q1, max_receive_count: 3}}  # <-\n",
        "queues.q1-dlq.dead_letter.queue",
        "dead-letter queues form a cycle: q1 -> q1-dlq -> q1",
    ),
    Case(
        "three-queue-cycle",
        HEAD + "queues:\n"
        "  a: {account: B, region: eu-west-1, dead_letter: {queue: b, max_receive_count: 3}}\n"
        "  b: {account: B, region: eu-west-1, dead_letter: {queue: c, max_receive_count: 3}}\n"
        "  c: {account: B, region: eu-west-1, dead_letter: {queue: a, max_receive_count: 3}}  # <-\n",
        "queues.c.dead_letter.queue",
        "dead-letter queues form a cycle: a -> b -> c -> a",
    ),
    Case(
        "chain-into-a-cycle-reports-the-cycle-once",
        HEAD + "queues:\n"
        "  src: {account: B, region: eu-west-1, dead_letter: {queue: a, max_receive_count: 3}}\n"
        "  a: {account: B, region: eu-west-1, dead_letter: {queue: b, max_receive_count: 3}}\n"
        "  b: {account: B, region: eu-west-1, dead_letter: {queue: a, max_receive_count: 3}}  # <-\n",
        "queues.b.dead_letter.queue",
        "dead-letter queues form a cycle: a -> b -> a",
    ),
    Case(
        "self-reference",
        HEAD + "queues:\n  q1: {account: B, region: eu-west-1, dead_letter: {queue: q1, max_receive_count: 3}}  # <-\n",
        "queues.q1.dead_letter.queue",
        "cannot be its own dead-letter queue",
    ),
]


@pytest.mark.parametrize("case", DLQ_CYCLE_CASES, ids=[c.id for c in DLQ_CYCLE_CASES])
def test_dead_letter_cycles_are_rejected(tmp_path: Path, case: Case) -> None:
    test_malformed_topology_reports_exact_location(tmp_path, case)
    _, problems = _load_problems(tmp_path, case.text)
    assert len(problems) == 1, problems


def test_a_dead_letter_chain_without_cycle_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text(
        HEAD + "queues:\n"
        "  a: {account: B, region: eu-west-1, dead_letter: {queue: b, max_receive_count: 3}}\n"
        "  b: {account: B, region: eu-west-1, dead_letter: {queue: c, max_receive_count: 3}}\n"
        "  c: {account: B, region: eu-west-1}\n"
    )
    assert load_topology(path).queues["b"].dead_letter == DeadLetter("c", 3)


def test_deeply_nested_filter_policy_is_one_clean_problem(tmp_path: Path) -> None:
    """Issue 9 #4: a filter policy nested a few hundred levels gave a RecursionError traceback."""
    nested = "{a: " * 300 + "[x]" + "}" * 300
    text = (
        HEAD + "topics:\n  orders: {account: A, region: us-east-1}\n"
        "queues:\n  q1: {account: B, region: eu-west-1}\n"
        f"subscriptions:\n  - topic: orders\n    queue: q1\n    filter_policy: {nested}  # <-\n"
    )
    file, problems = _load_problems(tmp_path, text)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{file}:{_marked_line(text)}: subscriptions[0].filter_policy.a")
    assert "nested more than 64 levels deep" in problems[0]


def test_every_name_mapping_is_checked_even_those_the_name_rules_keep_apart() -> None:
    """Topic, queue and bucket names cannot fold together today ([a-z0-9-] only); should the name
    rules ever widen, the one-to-one check still catches module and physical name collisions."""
    root = parse_yaml("a: 1\nb: 2\nc: 3\nd: 4\n", "t.yaml")
    top = root.mapping()
    assert top is not None
    d = Drafts(root.problems)
    d.accounts["A"] = AccountDraft("A", top["a"], id="111111111111")
    d.sections["topics"] = {"x-y": TopicDraft("x-y", top["a"]), "x_y": TopicDraft("x_y", top["b"])}
    d.sections["queues"] = {"q.1": QueueDraft("q.1", top["c"], fifo=True), "q_1": QueueDraft("q_1", top["d"])}
    d.sections["buckets"] = {n: BucketDraft(n, top["d"], account=Ref("A", top["a"])) for n in ("p", "P")}
    check_names_one_to_one(d)
    messages = [p.message for p in root.problems]
    assert any("both become the Terraform module topic_x_y" in m for m in messages), messages
    assert any("both become the Terraform module queue_q_1" in m for m in messages), messages
    assert any("both become the Terraform module bucket_p" in m for m in messages), messages
