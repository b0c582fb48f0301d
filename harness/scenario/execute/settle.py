"""Right after an apply on AWS: wait, bounded and logged, until SNS delivers on every subscription.

Why: a subscription Terraform just created may not deliver yet. The queue policy that admits
``sns.amazonaws.com`` for the topic's ``aws:SourceArn`` (and any key policy behind an encrypted
queue) propagates for seconds to a minute; meanwhile SNS's delivery to the queue is refused — a
client-side error, after which SNS drops the message (or moves it to the subscription's DLQ) — and
server-side failures are retried by SNS with backoff (immediate, then 1 s apart, then up to 20 s
apart). Either way a scenario's first messages would arrive late or look lost, and the run would
blame the system for what is the apply's settling.

So before any scenario, :func:`settle_deliveries` sends a **canary** down every subscription — a
small message published by the topic's account with attributes its filter policy lets through
(:func:`harness.topology.passing.passing_attributes`) — and waits until it is received from the
queue (as the queue's account) and deletes it; for a Lambda function, until the function's receipt
of it arrives in its receipts queue (the function's permission for SNS propagates too). A canary not received is published again every
:data:`REPUBLISH_SECONDS` (SNS does not retry a refused delivery), within a budget of
:data:`DEFAULT_BUDGET_SECONDS` counted from the end of the apply; a progress line every
:data:`PROGRESS_SECONDS`. Outcomes are classified per subscription: ``delivered`` (after how long,
how many canaries), ``not checked`` (a filter policy with operators the canary does not model,
said so) or ``not delivered``: then :class:`DeliveryNotSettledError` names each such subscription
and what to check. Publish and receive calls themselves wait out IAM/policy propagation and
throttling under the target's retry policy (:mod:`harness.retry`).

Canaries are never a scenario's messages: their correlation id is ``<run-id>.~canary.<n>.<k>``
(``~`` cannot occur in a scenario name), so every scenario's watcher classifies a late one as a
stale message of the run — deleted, never counted — and the change probe, which only knows its
own ``<run-id>.probe-`` ids, leaves it alone. They also carry :data:`CANARY_ATTRIBUTE`.

Only the AWS target settles (``Target.settles_deliveries``: real AWS and its rehearsal on
LocalStack, where it passes in about a second); the LocalStack target does not.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from harness import retry
from harness.errors import HarnessError
from harness.payload import wire
from harness.payload.message import parse
from harness.provision.manifest import Manifest, SubscriptionEntry
from harness.provision.sessions import Sessions
from harness.topology.passing import passing_attributes

log = logging.getLogger(__name__)

DEFAULT_BUDGET_SECONDS = 120.0
REPUBLISH_SECONDS = 10.0
PROGRESS_SECONDS = 15.0
POLL_WAIT_SECONDS = 1
CANARY_MARK = "~canary"
CANARY_ATTRIBUTE = "HarnessCanary"
CANARY_GROUP = "harness-canary"  # FIFO topics: a message group no scenario uses
DELIVERED, NOT_CHECKED, NOT_DELIVERED = "delivered", "not checked", "not delivered"


class DeliveryNotSettledError(HarnessError):
    """SNS did not deliver on some subscription within the settle budget after an apply."""


def canary_prefix(run_id: str) -> str:
    return f"{run_id}.{CANARY_MARK}."


def is_canary(correlation_id: str | None, run_id: str) -> bool:
    return bool(correlation_id) and str(correlation_id).startswith(canary_prefix(run_id))


@dataclass
class Settled:
    """One subscription's outcome."""

    topic: str
    queue: str  # the endpoint: a queue, or a function when ``function``
    status: str = NOT_DELIVERED
    seconds: float | None = None  # from the start of the settle step to the first canary received
    canaries: int = 0  # how many were published
    detail: str = ""
    attributes: dict[str, str] | None = field(default=None, repr=False)
    last_publish: float | None = field(default=None, repr=False)
    function: bool = False

    @property
    def label(self) -> str:
        return f"{self.topic} → {'function ' if self.function else ''}{self.queue}"


@dataclass(frozen=True)
class SettleClock:
    """Injectable time (tests run a budget of minutes without waiting)."""

    now: Callable[[], float] = time.monotonic
    poll_wait_seconds: int = POLL_WAIT_SECONDS


def _scope(sub: SubscriptionEntry) -> str:
    return str(getattr(sub, "filter_policy_scope", None) or "MessageAttributes")


def _publish(manifest: Manifest, sessions: Sessions, sub: SubscriptionEntry, item: Settled, cid: str) -> None:
    topic = manifest.topics[sub.topic]
    sns = sessions.client("sns", topic.account, topic.region)
    attributes = item.attributes or {}
    message_attributes: dict[str, Any] = {
        wire.CORRELATION_ATTRIBUTE: {"DataType": "String", "StringValue": cid},
        CANARY_ATTRIBUTE: {"DataType": "String", "StringValue": "settle"},
    }
    body = f"harness delivery canary {cid}"
    if _scope(sub) == "MessageBody":  # the filter reads the body: a JSON object carrying the values
        body = json.dumps({**attributes, "harness_canary": cid})
    else:
        message_attributes.update({k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()})
    kwargs: dict[str, Any] = {"TopicArn": topic.arn, "Message": body, "MessageAttributes": message_attributes}
    if topic.fifo:
        kwargs.update(MessageGroupId=CANARY_GROUP, MessageDeduplicationId=cid)
    try:
        retry.call("sns.Publish", sns.publish, policy=sessions.retry_policy, **kwargs)
    except (ClientError, BotoCoreError) as exc:
        raise DeliveryNotSettledError(
            f"settle: cannot publish the delivery canary to topic {sub.topic} ({topic.arn}) as account {topic.account}: "
            f"{retry.error_code(exc)}: {exc}"
        ) from exc


def _arrived(
    manifest: Manifest, sessions: Sessions, endpoint: str, function: bool, by_id: dict[str, tuple[str, str]], clock: SettleClock
) -> list[tuple[str, str]]:
    """(canary id, the endpoint it proves) of the canaries that arrived at ``endpoint``: a queue's
    own, and those a function polling it took first (its receipts name them); a function's
    receipts prove the endpoint each canary was published for."""
    if function:
        return [(cid, by_id.get(cid, ("", ""))[1]) for cid in _drain_receipts(manifest, sessions, endpoint, clock)]
    found = [(cid, endpoint) for cid in _drain(manifest, sessions, endpoint, clock)]
    for name, entry in manifest.functions.items():
        if entry.queue == endpoint:  # its event source mapping may have received the canary first
            found += [(cid, endpoint) for cid in _drain_receipts(manifest, sessions, name, clock)]
    return found


def _drain_receipts(manifest: Manifest, sessions: Sessions, function: str, clock: SettleClock) -> list[str]:
    """One long-poll of ``function``'s receipts queue: the receipts of this run's canaries are
    deleted; the canaries' ids returned."""
    entry = manifest.functions[function]
    sqs = sessions.client("sqs", entry.account, entry.region)
    found = []
    try:
        answer = retry.call("sqs.ReceiveMessage", sqs.receive_message, policy=sessions.retry_policy, QueueUrl=entry.receipts_url,
                            MaxNumberOfMessages=10, WaitTimeSeconds=clock.poll_wait_seconds)
        for raw in answer.get("Messages", []) or []:
            try:
                cid = json.loads(raw.get("Body", "")).get("correlation_id")
            except (ValueError, AttributeError):
                continue
            if is_canary(cid, manifest.run_id):
                retry.call("sqs.DeleteMessage", sqs.delete_message, policy=sessions.retry_policy, QueueUrl=entry.receipts_url,
                           ReceiptHandle=raw["ReceiptHandle"])
                found.append(str(cid))
    except (ClientError, BotoCoreError) as exc:
        raise DeliveryNotSettledError(
            f"settle: cannot receive the receipts of function {function} ({entry.receipts_url}) as account {entry.account}: "
            f"{retry.error_code(exc)}: {exc}"
        ) from exc
    return found


def _drain(manifest: Manifest, sessions: Sessions, queue: str, clock: SettleClock) -> list[str]:
    """One long-poll of ``queue``: this run's canaries received are deleted; their ids returned."""
    entry = manifest.queues[queue]
    sqs = sessions.client("sqs", entry.account, entry.region)
    policy = sessions.retry_policy
    found = []
    try:
        answer = retry.call(
            "sqs.ReceiveMessage",
            sqs.receive_message,
            policy=policy,
            QueueUrl=entry.url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=clock.poll_wait_seconds,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        )
        for raw in answer.get("Messages", []) or []:
            msg = parse(raw, entry.url, int(time.time() * 1000))
            if not is_canary(msg.correlation_id, manifest.run_id):
                continue  # not ours: left for its owner (nothing else runs before the scenarios)
            retry.call("sqs.DeleteMessage", sqs.delete_message, policy=policy, QueueUrl=entry.url, ReceiptHandle=msg.receipt_handle)
            found.append(str(msg.correlation_id))
    except (ClientError, BotoCoreError) as exc:
        raise DeliveryNotSettledError(
            f"settle: cannot receive the delivery canaries from queue {queue} ({entry.url}) as account {entry.account}: "
            f"{retry.error_code(exc)}: {exc}"
        ) from exc
    return found


def _say(out: TextIO | None, text: str) -> None:
    log.info("%s", text)
    if out is not None:
        print(text, file=out, flush=True)


def settle_deliveries(
    manifest: Manifest,
    sessions: Sessions,
    out: TextIO | None = None,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    republish_seconds: float = REPUBLISH_SECONDS,
    clock: SettleClock | None = None,
) -> list[Settled]:
    """Send a canary down every subscription of ``manifest`` until each is received (see the module
    docstring). Returns the outcomes; raises :class:`DeliveryNotSettledError` naming every
    subscription that did not deliver within ``budget_seconds``."""
    clock = clock or SettleClock()
    started = clock.now()
    items: list[Settled] = []
    for sub in manifest.subscriptions:
        item = Settled(sub.topic, sub.endpoint, function=bool(sub.function))
        item.attributes = passing_attributes(sub.filter_policy)
        if item.attributes is None:
            item.status = NOT_CHECKED
            item.detail = "its filter policy uses operators the canary does not model: delivery not checked before the scenarios"
            _say(out, f"settle: {item.label}: {item.detail}")
        items.append(item)
    waiting = [(sub, item) for sub, item in zip(manifest.subscriptions, items, strict=True) if item.status == NOT_DELIVERED]
    if not waiting:
        return items
    _say(out, f"settle: waiting until SNS delivers on {len(waiting)} subscription(s), at most {budget_seconds:.0f}s")
    by_id: dict[str, tuple[str, str]] = {}  # canary id -> (topic, queue it was published for)
    next_progress = started + PROGRESS_SECONDS
    while True:
        pending = [(sub, item) for sub, item in waiting if item.status == NOT_DELIVERED]
        if not pending:
            break
        now = clock.now()
        if now - started >= budget_seconds:
            break
        for index, (sub, item) in enumerate(waiting):
            if item.status != NOT_DELIVERED or (item.last_publish is not None and now - item.last_publish < republish_seconds):
                continue
            cid = f"{canary_prefix(manifest.run_id)}{index}.{item.canaries}"
            _publish(manifest, sessions, sub, item, cid)
            item.canaries += 1
            item.last_publish = clock.now()
            by_id[cid] = (sub.topic, sub.endpoint)
            if item.canaries > 1:
                log.warning("settle: %s: canary %d published (none received yet, %.0fs after apply)", item.label, item.canaries, now - started)
        for queue, function in sorted({(item.queue, item.function) for _, item in pending}):
            for cid, endpoint in _arrived(manifest, sessions, queue, function, by_id, clock):
                topic = by_id.get(cid, ("", ""))[0]  # any canary of the topic proves its delivery to this queue
                for _, item in waiting:
                    if item.topic == topic and item.queue == endpoint and item.status == NOT_DELIVERED:
                        item.status, item.seconds = DELIVERED, clock.now() - started
                        _say(out, f"settle: {item.label} delivers ({item.seconds:.1f}s after apply, {item.canaries} canary/ies)")
        if clock.now() >= next_progress:
            left = [item.label for _, item in waiting if item.status == NOT_DELIVERED]
            if left:
                _say(out, f"settle: still waiting for SNS on {', '.join(left)} ({clock.now() - started:.0f}s of {budget_seconds:.0f}s)")
            next_progress += PROGRESS_SECONDS
    failed = [item for _, item in waiting if item.status == NOT_DELIVERED]
    for item in failed:
        topic_entry = manifest.topics[item.topic]
        if item.function:
            item.detail = (
                f"SNS has not invoked function {item.queue} ({manifest.functions[item.queue].arn}) from topic {item.topic} for "
                f"{budget_seconds:.0f} s after apply ({item.canaries} canaries published, no receipt of one): check the function's "
                f"resource policy admits sns.amazonaws.com with aws:SourceArn of topic {topic_entry.arn}, and its log group for errors"
            )
            continue
        queue_entry = manifest.queues[item.queue]
        item.detail = (
            f"SNS has not delivered to queue {item.queue} ({queue_entry.name or queue_entry.url}) from topic {item.topic} for "
            f"{budget_seconds:.0f} s after apply ({item.canaries} canaries published, none received): check the queue "
            f"policy allows sns.amazonaws.com with aws:SourceArn of topic {topic_entry.arn} (and, for an encrypted queue, "
            "that its KMS key policy lets sns.amazonaws.com use the key)"
        )
    if failed:
        raise DeliveryNotSettledError("; ".join(item.detail for item in failed))
    return items
