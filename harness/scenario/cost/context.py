"""What one send of a scenario costs, and the hooks its expectations cost their part through."""

from __future__ import annotations

import math
from dataclasses import dataclass

from harness.payload import wire
from harness.payload.transfer import S3_MAX_PARTS, TransferSettings
from harness.scenario.cost.prices import (
    FAILURE_RECORD_BYTES,
    FUNCTION_BASE_SECONDS,
    FUNCTION_DOWNLOAD_BYTES_PER_S,
    GIB,
    HARNESS_ATTRIBUTE_BYTES,
    IDLE_POLLS_PER_SECOND,
    POINTER_BYTES,
    SNS_ENVELOPE_BYTES,
    Tally,
    chunks,
    copies,
)
from harness.scenario.format.model import Send
from harness.topology.model import Topology


def _bucket_region(send: Send, topology: Topology) -> str:
    name = send.bucket or (next(iter(topology.buckets)) if len(topology.buckets) == 1 else None)
    bucket = topology.buckets.get(name) if name else None
    return bucket.region if bucket else send.region


@dataclass(frozen=True)
class Batch:
    """The messages of one send that share a size: ``n`` sent (repeats included), ``delivered``
    per receiving queue, ``payload`` bytes each, ``wire`` bytes on the wire (a pointer when offloaded)."""

    n: int
    delivered: int
    payload: int
    wire: int
    offload: bool


class CostContext:
    """One send of a scenario being costed: what the send itself costs is counted on construction;
    each expectation then adds what its consumers and checks do (:meth:`Expectation.cost`)."""

    def __init__(self, tally: Tally, topology: Topology, send: Send, *, runner_outside_aws: bool, storage_hours: float):
        self.tally, self.topology, self.send = tally, topology, send
        self.runner_outside_aws = runner_outside_aws
        self.part_size = TransferSettings().part_size
        self.bucket_region = _bucket_region(send, topology)
        self.topic = topology.topics[send.topic] if send.topic is not None else None
        if self.topic is not None:
            subs = [s for s in topology.queue_subscriptions if s.topic == self.topic.name]
            self.targets = {s.queue: (topology.queues[s.queue], s.raw_delivery) for s in subs}
            self.dlqs = {s.queue: s.dead_letter_queue for s in subs if s.dead_letter_queue}
        else:
            self.targets = {send.queue: (topology.queues[send.queue], True)} if send.queue is not None and send.queue in topology.queues else {}
            self.dlqs = {}
        self.batches = self._batches()
        self._count_sends(storage_hours)

    def _batches(self) -> list[Batch]:
        send = self.send
        threshold = self.topic.message_limit if self.topic is not None else wire.DEFAULT_SQS_THRESHOLD  # on AWS
        attr_bytes = wire.attributes_bytes({k: a.wire() for k, a in send.attributes.items()}) + HARNESS_ATTRIBUTE_BYTES
        repeats = 2 if send.dedup == "repeat" else 1
        # A FIFO topic or queue drops the repeated copy: deliveries count each message once.
        fifo = self.topic.fifo if self.topic is not None else any(q.fifo for q, _ in self.targets.values())
        out = []
        for index, size in enumerate(send.sizes):
            n = copies(send.count, len(send.sizes), index) * repeats
            if n == 0:
                continue
            s = max(0, size.bytes - attr_bytes) if size.on_wire else size.bytes  # on the wire: attributes included
            offload = s == 0 or send.offload == "always" or s + attr_bytes > threshold
            out.append(Batch(n, n // repeats if fifo else n, s, (POINTER_BYTES if offload else s) + attr_bytes, offload))
        return out

    def _count_sends(self, storage_hours: float) -> None:
        t, send, topic = self.tally, self.send, self.topic
        dest_region = topic.region if topic is not None else next((q.region for q, _ in self.targets.values()), send.region)
        for b in self.batches:
            if b.offload:
                part = max(self.part_size, math.ceil(b.payload / S3_MAX_PARTS))
                t.puts += b.n * (1 if b.payload <= part else 2 + math.ceil(b.payload / part))
                t.stored += b.n * b.payload
                t.gib_hours += b.n * b.payload / GIB * storage_hours
                if not self.runner_outside_aws and send.region != self.bucket_region:
                    t.inter += b.n * b.payload
            if not self.runner_outside_aws and send.region != dest_region:
                t.inter += b.n * b.wire
            if topic is not None:
                if topic.fifo:
                    t.sns_fifo += b.n * chunks(b.wire)
                    t.sns_fifo_bytes += b.n * b.wire
                else:
                    t.sns += b.n * chunks(b.wire)
            for queue, raw in self.targets.values():
                delivered = b.wire + (0 if raw else SNS_ENVELOPE_BYTES)
                if topic is not None:  # SNS → SQS delivery; a direct send is the send itself
                    t.sqs_requests(b.delivered * chunks(delivered), queue.fifo)
                    if queue.region != topic.region:
                        t.inter += b.delivered * delivered
                else:
                    t.sqs_requests(b.n * chunks(delivered), queue.fifo)

    # -- what expectations add -------------------------------------------------------------------
    def receive(self, queue: str, times: int = 1, via_subscription_of: str | None = None) -> None:
        """The harness receives each message delivered to ``queue`` ``times`` times (downloading an
        offloaded payload each time) and deletes it once. ``via_subscription_of``: ``queue`` is the
        subscription dead-letter queue of that endpoint queue, so it gets the endpoint's deliveries."""
        target = self.targets.get(via_subscription_of or queue)
        if target is None:
            return  # the send does not reach it
        raw = target[1]
        fifo = self.topology.queues[queue].fifo
        bucket_region, queue_region = self.bucket_region, self.topology.queues[queue].region
        t = self.tally
        for b in self.batches:
            delivered = b.wire + (0 if raw else SNS_ENVELOPE_BYTES)
            got = b.delivered * times
            t.sqs_requests(got * chunks(delivered) + b.delivered, fifo)  # receives + one delete
            if self.runner_outside_aws:
                t.egress += got * delivered
            if b.offload:
                t.gets += got * max(1, math.ceil(b.payload / self.part_size))
                if self.runner_outside_aws:
                    t.egress += got * b.payload
                elif bucket_region != queue_region:
                    t.inter += got * b.payload

    def idle_polls(self, queue: str, within: float) -> None:
        """Receive calls while a watched queue stays empty, up to ``within``."""
        q = self.topology.queues.get(queue)
        self.tally.sqs_requests(math.ceil(within * IDLE_POLLS_PER_SECOND), bool(q and q.fifo))

    def function(self, function: str, through: str, slow_s: float = 0.0, times: int = 1) -> None:
        """A function handles each message that reaches it ``times`` times: one invocation each (an
        upper bound: a mapping batches them), its duration (a base allowance, ``slow_s``, the payload's
        download) at the function's memory, a ranged GET per part of an offloaded payload, and a
        receipt per handling that the harness receives and deletes. ``through``: the queue it polls
        ("" when SNS invokes it; then the topic's deliveries reach it)."""
        fn = self.topology.functions.get(function)
        if fn is None:
            return
        if through:
            if through not in self.targets:
                return  # the send does not reach its queue
        elif self.topic is None or self.topic.name not in self.topology.topics_invoking(function):
            return
        t, gb = self.tally, fn.memory / 1024.0
        for b in self.batches:
            got = b.delivered * times
            t.lambda_requests += got
            seconds = FUNCTION_BASE_SECONDS + slow_s + (b.payload / FUNCTION_DOWNLOAD_BYTES_PER_S if b.offload else 0.0)
            t.lambda_gb_seconds += got * gb * seconds
            t.sqs_requests(got // 10 + 1 + got * 2, False)  # receipts: a batch send per invocation's ten, then receive and delete
            if b.offload:
                t.gets += got * max(1, math.ceil(b.payload / self.part_size))
                if self.bucket_region != fn.region:
                    t.inter += got * b.payload
            if through:
                t.sqs_requests(got, self.topology.queues[through].fifo)  # the mapping's receive (and delete) of each

    def failure_records(self, function: str, queue: str, share: float) -> None:
        """Lambda sends a record of each failed asynchronous invocation of ``function`` (``share``
        of the messages SNS invokes it with) to ``queue``: the record carries the SNS event (the
        message in its envelope, escaped once more, and the failure context), and the harness
        receives it, reads an offloaded payload to its end and deletes it."""
        if self.topic is None or self.topic.name not in self.topology.topics_invoking(function) or queue not in self.topology.queues:
            return
        t, q, fn = self.tally, self.topology.queues[queue], self.topology.functions[function]
        for b in self.batches:
            got = math.ceil(b.delivered * share)
            record = 2 * (b.wire + SNS_ENVELOPE_BYTES) + FAILURE_RECORD_BYTES
            t.sqs_requests(got * chunks(record) * 2 + got, q.fifo)  # Lambda's send, the harness's receive, one delete
            if q.region != fn.region:
                t.inter += got * record
            if self.runner_outside_aws:
                t.egress += got * record
            if b.offload:
                t.gets += got * max(1, math.ceil(b.payload / self.part_size))
                if self.runner_outside_aws:
                    t.egress += got * b.payload
                elif self.bucket_region != q.region:
                    t.inter += got * b.payload

    def head_objects(self) -> None:
        """A HeadObject per offloaded payload (is it gone?)."""
        self.tally.gets += sum(b.delivered for b in self.batches if b.offload)


