"""``queues:``: SQS queues, their redrive, who else may send, the key that encrypts them.

Cross-checks: a queue's dead-letter queue sits in its account and region and has its kind (FIFO or
standard), and redrive never loops.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.topology.drafts import Drafts, OwnedDraft, Ref
from harness.topology.kind import KindSpec, NameClaim, need
from harness.topology.names import physical_name, queue_module
from harness.topology.readers import (
    fifo_fields,
    grantees,
    kind_of,
    known_queue,
    owned_entries,
)
from harness.topology.sourced_yaml import Node, quote

VISIBILITY_TIMEOUT_RANGE = (0, 43200)
RETENTION_RANGE = (60, 1209600)
MAX_RECEIVE_COUNT_RANGE = (1, 1000)

QUEUE_KEYS = (
    "account",
    "region",
    "fifo",
    "content_based_deduplication",
    "visibility_timeout",
    "retention",
    "dead_letter",
    "producers",
    "kms_key",
)
DEAD_LETTER_KEYS = ("queue", "max_receive_count")


@dataclass(frozen=True)
class DeadLetter:
    queue: str  # logical queue name
    max_receive_count: int


@dataclass(frozen=True)
class Queue:
    name: str
    account: str
    region: str
    fifo: bool = False
    content_based_deduplication: bool = False
    visibility_timeout: int = 30  # seconds, 0..43200
    retention: int = 345600  # seconds, 60..1209600
    dead_letter: DeadLetter | None = None
    producers: tuple[str, ...] = ()  # accounts allowed sqs:SendMessage directly
    kms_key: str | None = None  # logical name of the KMS key encrypting the queue (SSE)


@dataclass
class QueueDraft(OwnedDraft):
    fifo: bool = False
    cbd: bool = False
    visibility_timeout: int = 30
    retention: int = 345600
    dlq: Ref | None = None
    max_receive_count: int | None = None
    has_dead_letter: bool = False
    producers: list[str] = field(default_factory=list)


class QueueSpec(KindSpec):
    name = "queue"
    group = "queues"
    keys = QUEUE_KEYS
    model = Queue
    example = "b-eu: {account: B, region: eu-west-1}"

    def read(self, d: Drafts, node: Node) -> None:
        for draft, fields in owned_entries(d, node, "queue", self.group, QueueDraft, QUEUE_KEYS):
            draft.fifo, draft.cbd = fifo_fields(fields, "queue")
            if "visibility_timeout" in fields:
                lo, hi = VISIBILITY_TIMEOUT_RANGE
                v = fields["visibility_timeout"].integer(lo, hi, hint="e.g. visibility_timeout: 30 (seconds)")
                draft.visibility_timeout = v if v is not None else draft.visibility_timeout
            if "retention" in fields:
                lo, hi = RETENTION_RANGE
                v = fields["retention"].integer(lo, hi, hint="e.g. retention: 345600 (seconds; 60 s to 14 days)")
                draft.retention = v if v is not None else draft.retention
            if "dead_letter" in fields:
                _dead_letter(draft, fields["dead_letter"])
            if "producers" in fields:
                draft.producers = grantees(d, fields["producers"], draft.account, "queue")

    def cross_check(self, d: Drafts) -> None:
        check_queue_dead_letters(d)
        check_dead_letter_cycles(d)

    def build(self, draft: QueueDraft, d: Drafts) -> Queue:
        where = f"queues.{draft.name}"
        dead_letter = None
        if draft.has_dead_letter:
            dead_letter = DeadLetter(
                queue=need(d, draft.dlq, f"{where}.dead_letter.queue").value,
                max_receive_count=need(d, draft.max_receive_count, f"{where}.dead_letter"),
            )
        return Queue(
            name=draft.name,
            account=need(d, draft.account, f"{where}.account").value,
            region=need(d, draft.region, f"{where}.region").value,
            fifo=draft.fifo,
            content_based_deduplication=draft.cbd,
            visibility_timeout=draft.visibility_timeout,
            retention=draft.retention,
            dead_letter=dead_letter,
            producers=tuple(draft.producers),
            kms_key=draft.kms_key.value if draft.kms_key else None,
        )

    def claims(self, draft: QueueDraft, d: Drafts) -> list[NameClaim]:
        if not draft.valid_name:
            return []
        who = f"queue {quote(draft.name)}"
        return [
            NameClaim(who, queue_module(draft.name), "Terraform module", draft.node),
            NameClaim(who, physical_name("<run-id>", draft.name, draft.fifo), "queue name", draft.node),
        ]

    def key_uses(self, draft: QueueDraft) -> list[tuple[str, str, str]]:
        """Each producer encrypts and decrypts; the owner, whose consumers receive, decrypts."""
        uses = [(a, use, "producer") for a in draft.producers for use in ("encrypt", "decrypt")]
        return uses + ([(draft.account.value, "decrypt", "the owner (its consumers receive)")] if draft.account else [])


def _dead_letter(draft: QueueDraft, node: Node) -> None:
    draft.has_dead_letter = True
    fields = node.mapping(
        allowed=DEAD_LETTER_KEYS,
        required=DEAD_LETTER_KEYS,
        hint="write dead_letter: {queue: <queue name>, max_receive_count: 3}",
        required_hints={
            "queue": "add queue: <name of the dead-letter queue>",
            "max_receive_count": "add max_receive_count: <1..1000>, e.g. max_receive_count: 3",
        },
    )
    if fields is None:
        return
    if "queue" in fields:
        value = fields["queue"].string(what="queue name", hint="write the logical name of another queue")
        if value is not None:
            draft.dlq = Ref(value, fields["queue"])
    if "max_receive_count" in fields:
        lo, hi = MAX_RECEIVE_COUNT_RANGE
        draft.max_receive_count = fields["max_receive_count"].integer(
            lo, hi, hint="e.g. max_receive_count: 3 (receives before a message moves to the DLQ)"
        )


def check_queue_dead_letters(d: Drafts) -> None:
    """A queue's dead-letter queue exists and has the queue's account, region and kind."""
    for q in d.queues.values():
        if q.dlq is None:
            continue
        ref = q.dlq
        if ref.value == q.name:
            ref.node.problem(f"a queue cannot be its own dead-letter queue; name another queue than {quote(q.name)}")
            continue
        dlq = known_queue(d, ref, "queue")
        if dlq is None:
            continue
        if q.account and dlq.account and q.account.value != dlq.account.value:
            ref.node.problem(
                f"dead-letter queue {quote(dlq.name)} is in account {dlq.account.value} but this queue "
                f"is in {q.account.value}; SQS needs the DLQ in the same account, so use a queue "
                f"owned by {q.account.value}"
            )
        if q.region and dlq.region and q.region.value != dlq.region.value:
            ref.node.problem(
                f"dead-letter queue {quote(dlq.name)} is in {dlq.region.value} but this queue is in "
                f"{q.region.value}; SQS needs the DLQ in the same region, so use a queue in "
                f"{q.region.value}"
            )
        if q.fifo != dlq.fifo:
            ref.node.problem(
                f"dead-letter queue {quote(dlq.name)} is a {kind_of(dlq.fifo)} queue but this queue is "
                f"{kind_of(q.fifo)}; the DLQ of a {kind_of(q.fifo)} queue must be {kind_of(q.fifo)} too, so "
                f"{'set' if q.fifo else 'remove'} fifo: true on {quote(dlq.name)} or pick another queue"
            )


def check_dead_letter_cycles(d: Drafts) -> None:
    """Redrive may not loop (q1 -> q1-dlq -> q1): Terraform could neither create nor destroy it.

    Each cycle is reported once, at the ``dead_letter.queue`` of its member written last.
    """
    edges = {
        q.name: q.dlq.value
        for q in d.queues.values()
        if q.dlq is not None and q.dlq.value != q.name and q.dlq.value in d.queues
    }
    order = {name: i for i, name in enumerate(d.queues)}
    done: set[str] = set()
    for start in d.queues:
        path: list[str] = []
        index: dict[str, int] = {}
        name = start
        while name in edges and name not in done and name not in index:
            index[name] = len(path)
            path.append(name)
            name = edges[name]
        done.update(path)
        if name not in index:
            continue
        cycle = path[index[name] :]
        first = min(range(len(cycle)), key=lambda k: order[cycle[k]])
        cycle = cycle[first:] + cycle[:first]
        closing = d.queues[max(cycle, key=lambda n: order[n])]
        assert closing.dlq is not None
        closing.dlq.node.problem(
            f"dead-letter queues form a cycle: {' -> '.join([*cycle, cycle[0]])}; Terraform must create "
            "a dead-letter queue before the queue that uses it, so it can neither create nor destroy a "
            f"cycle; remove dead_letter from {quote(closing.name)} or point it at a queue outside the cycle"
        )


PART = QueueSpec()
