"""``functions:``: Lambda functions running the kit's consumer, where they live, the queue they poll
(an event source mapping) and the payload buckets they read.

Cross-checks, each what AWS (or the kit's modules) would refuse: the polled queue is in the
function's region (AWS) and account (the kit: a cross-account mapping needs a queue policy naming the
role), its visibility timeout is not shorter than the function's timeout (AWS refuses the mapping),
a batch over 10 needs a batching window and a FIFO queue takes neither; every bucket a function reads
lets its account read (the bucket policy admits the account, the function's role holds the grant)
and every KMS key behind what it reads lets its account decrypt. A function may not share its
logical name with a queue (subscriptions and delivery paths name both by it).

Asynchronous invocations (SNS invokes a subscribed function asynchronously): how many times Lambda
retries a failed one (``max_retry_attempts``, 0-2), how old an event may get (``max_event_age``,
60-21600 s) and where a record of each event that failed for good goes (``on_failure``: a standard
queue of the function's region, in any account of the topology: across accounts the queue policy
admits the function's role). They apply only to a function some topic invokes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.topology.drafts import Drafts, OwnedDraft, Ref
from harness.topology.kind import KindSpec, NameClaim, need
from harness.topology.names import function_module, physical_name, receipts_queue_name
from harness.topology.readers import (
    choices,
    known_queue,
    owned_entries,
)
from harness.topology.sourced_yaml import Node, quote, suggest

FUNCTION_KEYS = ("account", "region", "queue", "batch_size", "batching_window", "partial_batch", "reads", "memory", "timeout",
                 "max_retry_attempts", "max_event_age", "on_failure")
MAPPING_KEYS = ("batch_size", "batching_window", "partial_batch")  # only with queue:
ASYNC_KEYS = ("max_retry_attempts", "max_event_age", "on_failure")  # only when a topic invokes it
RETRY_ATTEMPTS_RANGE = (0, 2)  # Lambda's MaximumRetryAttempts for asynchronous invocations
EVENT_AGE_RANGE = (60, 21_600)  # seconds (MaximumEventAgeInSeconds)
BATCH_SIZE_RANGE = (1, 10_000)  # standard queues; FIFO queues at most 10
FIFO_BATCH_MAX = 10
BATCHING_WINDOW_RANGE = (0, 300)  # seconds
MEMORY_RANGE = (128, 10_240)  # MB
TIMEOUT_RANGE = (1, 900)  # seconds
NAME_LIMIT = 40


@dataclass(frozen=True)
class Function:
    """A Lambda function running the kit's consumer. ``queue``: the queue an event source mapping
    feeds it from (None: only SNS invokes it); ``reads``: the payload buckets its role may read."""

    name: str
    account: str
    region: str
    queue: str | None = None
    batch_size: int = 10
    batching_window: int = 0  # seconds (MaximumBatchingWindowInSeconds)
    partial_batch: bool = True  # FunctionResponseTypes: ReportBatchItemFailures
    reads: tuple[str, ...] = ()
    memory: int = 256  # MB
    timeout: int = 30  # seconds
    max_retry_attempts: int | None = None  # None: Lambda's default, 2
    max_event_age: int | None = None  # seconds; None: Lambda's default, 6 hours
    on_failure: str | None = None  # logical name of the queue that gets a record of each event that failed for good

    @property
    def retry_attempts(self) -> int:
        """The retries Lambda makes of a failed asynchronous invocation (its default is 2)."""
        return 2 if self.max_retry_attempts is None else self.max_retry_attempts

    @property
    def handles_async_failures(self) -> bool:
        """Whether its asynchronous invocations are configured (an event invoke config is created)."""
        return self.max_retry_attempts is not None or self.max_event_age is not None or self.on_failure is not None


@dataclass
class FunctionDraft(OwnedDraft):
    queue: Ref | None = None
    batch_size: int = 10
    batching_window: int = 0
    partial_batch: bool = True
    reads: list[Ref] = field(default_factory=list)
    memory: int = 256
    timeout: int = 30
    mapping_nodes: dict[str, Node] = field(default_factory=dict)  # batch_size / batching_window as written
    max_retry_attempts: int | None = None
    max_event_age: int | None = None
    on_failure: Ref | None = None
    async_nodes: dict[str, Node] = field(default_factory=dict)  # the asynchronous settings as written


class FunctionSpec(KindSpec):
    name = "function"
    group = "functions"
    keys = FUNCTION_KEYS
    model = Function
    example = "c-fn: {account: C, region: us-east-1, reads: [payloads]}"

    def read(self, d: Drafts, node: Node) -> None:
        for draft, fields in owned_entries(d, node, "function", self.group, FunctionDraft, FUNCTION_KEYS, NAME_LIMIT):
            if "queue" in fields:
                queue = fields["queue"].string(what="queue name", hint="write the logical name of the queue the function polls")
                if queue is not None:
                    ref = Ref(queue, fields["queue"])
                    draft.queue = ref if known_queue(d, ref, "queue") is not None else None
            elif any(k in fields for k in MAPPING_KEYS):
                for key in (k for k in MAPPING_KEYS if k in fields):
                    fields[key].problem(f"{key} configures an event source mapping; add queue: <the queue it polls> or remove {key}")
            _numbers(draft, fields)
            _async_settings(d, draft, fields)
            if "reads" in fields:
                draft.reads = _reads(d, fields["reads"])

    def cross_check(self, d: Drafts) -> None:
        functions: dict[str, FunctionDraft] = d.section(self.group)
        for fn in functions.values():
            if fn.name in d.queues:
                fn.node.problem(
                    f"a queue is named {quote(fn.name)} too; subscriptions and delivery paths name both by their logical "
                    "name, so rename the function (e.g. " + quote(fn.name + "-fn") + ")"
                )
            _check_mapping(d, fn)
            for ref in fn.reads:
                _check_read(d, fn, ref)
            _check_keys(d, fn)
            _check_async(d, fn)

    def build(self, draft: FunctionDraft, d: Drafts) -> Function:
        where = f"functions.{draft.name}"
        return Function(
            name=draft.name,
            account=need(d, draft.account, f"{where}.account").value,
            region=need(d, draft.region, f"{where}.region").value,
            queue=draft.queue.value if draft.queue else None,
            batch_size=draft.batch_size,
            batching_window=draft.batching_window,
            partial_batch=draft.partial_batch,
            reads=tuple(r.value for r in draft.reads),
            memory=draft.memory,
            timeout=draft.timeout,
            max_retry_attempts=draft.max_retry_attempts,
            max_event_age=draft.max_event_age,
            on_failure=draft.on_failure.value if draft.on_failure else None,
        )

    def claims(self, draft: FunctionDraft, d: Drafts) -> list[NameClaim]:
        if not draft.valid_name:
            return []
        who = f"function {quote(draft.name)}"
        return [
            NameClaim(who, function_module(draft.name), "Terraform module", draft.node),
            NameClaim(who, physical_name("<run-id>", draft.name), "Lambda function name", draft.node),
            NameClaim(who, receipts_queue_name("<run-id>", draft.name), "queue name", draft.node),
        ]


def _numbers(draft: FunctionDraft, fields: dict[str, Node]) -> None:
    if "batch_size" in fields:
        lo, hi = BATCH_SIZE_RANGE
        v = fields["batch_size"].integer(lo, hi, hint="records per invocation, e.g. batch_size: 10")
        draft.batch_size = v if v is not None else draft.batch_size
        draft.mapping_nodes["batch_size"] = fields["batch_size"]
    if "batching_window" in fields:
        lo, hi = BATCHING_WINDOW_RANGE
        v = fields["batching_window"].integer(lo, hi, hint="seconds the mapping gathers records, e.g. batching_window: 1")
        draft.batching_window = v if v is not None else draft.batching_window
        draft.mapping_nodes["batching_window"] = fields["batching_window"]
    if "partial_batch" in fields:
        draft.partial_batch = bool(fields["partial_batch"].boolean(hint="write partial_batch: true (ReportBatchItemFailures) or false"))
    if "memory" in fields:
        lo, hi = MEMORY_RANGE
        v = fields["memory"].integer(lo, hi, hint="MB, e.g. memory: 256")
        draft.memory = v if v is not None else draft.memory
    if "timeout" in fields:
        lo, hi = TIMEOUT_RANGE
        v = fields["timeout"].integer(lo, hi, hint="seconds, e.g. timeout: 30")
        draft.timeout = v if v is not None else draft.timeout


def _async_settings(d: Drafts, draft: FunctionDraft, fields: dict[str, Node]) -> None:
    """``max_retry_attempts``, ``max_event_age`` and ``on_failure``: each in range, the queue known."""
    if "max_retry_attempts" in fields:
        lo, hi = RETRY_ATTEMPTS_RANGE
        draft.max_retry_attempts = fields["max_retry_attempts"].integer(lo, hi, hint="retries of a failed asynchronous invocation, e.g. max_retry_attempts: 0")
    if "max_event_age" in fields:
        lo, hi = EVENT_AGE_RANGE
        draft.max_event_age = fields["max_event_age"].integer(lo, hi, hint="seconds Lambda keeps an event for retries, e.g. max_event_age: 3600")
    if "on_failure" in fields:
        queue = fields["on_failure"].string(what="queue name", hint="write the logical name of the queue that gets the records of failed events")
        if queue is not None:
            ref = Ref(queue, fields["on_failure"])
            draft.on_failure = ref if known_queue(d, ref, "queue") is not None else None
    draft.async_nodes = {k: fields[k] for k in ASYNC_KEYS if k in fields}


def _reads(d: Drafts, node: Node) -> list[Ref]:
    items = node.string_list(what="bucket name", hint="write a list of payload buckets, e.g. reads: [payloads]")
    out: list[Ref] = []
    for value, item in items or []:
        if value not in d.buckets:
            item.problem(f"unknown bucket {quote(value)}; {choices(d.buckets, 'buckets')}{suggest(value, d.buckets)}")
            continue
        out.append(Ref(value, item))
    return out


def _check_mapping(d: Drafts, fn: FunctionDraft) -> None:
    """The event source mapping: what AWS refuses, and the kit's same-account rule."""
    if fn.queue is None or fn.queue.value not in d.queues:
        return
    q, node = d.queues[fn.queue.value], fn.queue.node
    if fn.region and q.region and q.region.value != fn.region.value:
        node.problem(
            f"queue {quote(q.name)} is in {q.region.value} but function {quote(fn.name)} is in {fn.region.value}; an event "
            f"source mapping reads a queue of the function's own region only, so use a queue in {fn.region.value} (or put the "
            f"function in {q.region.value})"
        )
    if fn.account and q.account and q.account.value != fn.account.value:
        node.problem(
            f"queue {quote(q.name)} belongs to account {q.account.value} but function {quote(fn.name)} to {fn.account.value}; "
            f"the kit maps a function to a queue of its own account (across accounts the queue policy would have to name the "
            f"function's role), so use a queue owned by {fn.account.value}"
        )
    if q.visibility_timeout < fn.timeout:
        node.problem(
            f"queue {quote(q.name)} has visibility_timeout {q.visibility_timeout} s, shorter than the function's timeout "
            f"{fn.timeout} s, and AWS refuses such a mapping; set queues.{q.name}.visibility_timeout to {fn.timeout} or more, "
            f"or lower functions.{fn.name}.timeout"
        )
    size, window = fn.mapping_nodes.get("batch_size"), fn.mapping_nodes.get("batching_window")
    if q.fifo and fn.batch_size > FIFO_BATCH_MAX:
        (size or node).problem(f"queue {quote(q.name)} is FIFO, and a mapping reads at most {FIFO_BATCH_MAX} records of a FIFO queue at once; write batch_size: 10 or less")
    elif q.fifo and fn.batching_window:
        (window or node).problem(f"queue {quote(q.name)} is FIFO, and AWS has no batching window for FIFO queues; remove batching_window")
    elif fn.batch_size > FIFO_BATCH_MAX and fn.batching_window < 1:
        (size or node).problem(
            f"a batch_size over {FIFO_BATCH_MAX} needs a batching window of at least 1 s (AWS refuses the mapping otherwise); "
            "add batching_window: 1 or lower batch_size"
        )


def _check_read(d: Drafts, fn: FunctionDraft, ref: Ref) -> None:
    """The bucket lets the function's account read its payloads."""
    bucket = d.buckets[ref.value]
    if fn.account is None or bucket.account is None:
        return
    account = fn.account.value
    if account != bucket.account.value and account not in bucket.readers:
        ref.node.problem(
            f"bucket {quote(bucket.name)} does not let account {account} read its payloads; add {account} to "
            f"buckets.{bucket.name}.readers (its policy then admits {account}, whose function role {quote(fn.name)} holds the grant)"
        )


def _check_keys(d: Drafts, fn: FunctionDraft) -> None:
    """Each KMS key behind what the function reads (payloads of its buckets, its queue) lets its account decrypt."""
    if fn.account is None:
        return
    account = fn.account.value
    protected = [(d.buckets[r.value].kms_key, f"payloads of bucket {r.value}", r.node) for r in fn.reads]
    if fn.queue is not None and fn.queue.value in d.queues:
        protected.append((d.queues[fn.queue.value].kms_key, f"queue {fn.queue.value}", fn.queue.node))
    for key_ref, what, node in protected:
        key = d.keys.get(key_ref.value) if key_ref else None
        if key is None or key.account is None or account == key.account.value or account in key.decrypt:
            continue
        node.problem(f"key {quote(key.name)} does not let function {quote(fn.name)} (account {account}) decrypt {what}; add {account} to keys.{key.name}.decrypt")


def _check_async(d: Drafts, fn: FunctionDraft) -> None:
    """The asynchronous settings: a topic invokes the function, and the on-failure destination is a
    queue Lambda can send records to (standard: AWS refuses FIFO queues as destinations) in the
    function's region (the kit's rule), not the queue the function polls, encrypted with a key the
    function's account may use."""
    if not fn.async_nodes:
        return
    invoked = any(s.function is not None and s.function.value == fn.name for s in d.subscriptions)
    if not invoked:
        key, node = next(iter(fn.async_nodes.items()))
        node.problem(f"{key} configures asynchronous invocations, and only SNS invokes a function asynchronously here; subscribe "
                     f"function {quote(fn.name)} to a topic (subscriptions: - {{topic: <topic>, function: {fn.name}}}) or remove {key}")
    if fn.on_failure is None or fn.on_failure.value not in d.queues:
        return
    q, node = d.queues[fn.on_failure.value], fn.on_failure.node
    if q.fifo:
        node.problem(f"queue {quote(q.name)} is FIFO, and Lambda sends the records of failed invocations to standard queues only; "
                     "use a standard queue")
    if fn.region and q.region and q.region.value != fn.region.value:
        node.problem(f"queue {quote(q.name)} is in {q.region.value} but function {quote(fn.name)} is in {fn.region.value}; the kit "
                     f"keeps an on-failure destination in the function's region, so use a queue in {fn.region.value}")
    if fn.queue is not None and fn.queue.value == q.name:
        node.problem(f"queue {quote(q.name)} is the queue function {quote(fn.name)} polls, so the records of its failures would be "
                     "fed back to it; use a queue of their own")
    encrypting = d.keys.get(q.kms_key.value) if q.kms_key else None
    account = fn.account.value if fn.account else None
    if encrypting is not None and encrypting.account is not None and account is not None and account != encrypting.account.value:
        missing = [what for what, accounts in (("encrypt", encrypting.encrypt), ("decrypt", encrypting.decrypt)) if account not in accounts]
        if missing:
            node.problem(f"key {quote(encrypting.name)} of queue {quote(q.name)} does not let function {quote(fn.name)} (account {account}) "
                         f"{' and '.join(missing)} the records it sends there; add {account} to "
                         + " and ".join(f"keys.{encrypting.name}.{m}" for m in missing))


PART = FunctionSpec()
