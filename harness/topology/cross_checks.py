"""Checks across sections of a topology file: how the resources that were read fit together.

Partitions of regions and role ARNs agree; dead-letter queues sit with their source queue and form
no cycle; subscriptions join matching topics and queues; and every logical name maps one-to-one
onto the provider alias, Terraform module and physical name provisioning will give it
(:mod:`harness.topology.names`), so an apply never silently does less than the file says.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.topology.drafts import BucketDraft, Drafts, KeyDraft, OwnedDraft, QueueDraft, SubscriptionDraft, TopicDraft
from harness.topology.names import (
    bucket_module,
    bucket_name,
    key_module,
    physical_name,
    provider_alias,
    queue_module,
    subscription_module,
    topic_module,
)
from harness.topology.readers import choices, kind_of, known_queue
from harness.topology.regions import partition_of
from harness.topology.sourced_yaml import Node, quote, suggest


def cross_check(d: Drafts) -> None:
    """Run every cross-check, recording problems on ``d.problems``."""
    check_partitions(d)
    check_queue_dead_letters(d)
    check_dead_letter_cycles(d)
    check_subscriptions(d)
    check_keys(d)
    check_names_one_to_one(d)


def check_partitions(d: Drafts) -> None:
    """All regions must share one partition; role ARNs must be in that partition."""
    first: str | None = None
    for region in d.regions:
        part = partition_of(region)
        if d.partition is None:
            d.partition, first = part, region
        elif part != d.partition:
            d.region_nodes[region].problem(
                f"{quote(region)} is in partition {part} but {first} is in {d.partition}; SNS and "
                "SQS cannot deliver across partitions, so use regions of one partition only",
            )
    if d.partition is None:
        return
    for acct in d.accounts.values():
        if acct.role_partition is not None and acct.role_partition != d.partition and acct.role_node:
            acct.role_node.problem(
                f"the role is in partition {acct.role_partition} but the regions are in "
                f"{d.partition}; write arn:{d.partition}:iam::... or change regions:"
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


def check_subscriptions(d: Drafts) -> None:
    """One subscription per topic and queue, each joining matching kinds, with a fitting DLQ."""
    seen: dict[tuple[str, str], Node] = {}
    for sub in d.subscriptions:
        if sub.topic and sub.queue:
            pair = (sub.topic.value, sub.queue.value)
            if pair in seen:
                first = seen[pair]
                sub.node.problem(
                    f"{pair[0]} -> {pair[1]} is already subscribed at {first.field} (line {first.line}); "
                    "remove one of the two (one subscription per topic and queue)"
                )
            else:
                seen[pair] = sub.node
        _check_subscription(d, sub)


def _check_subscription(d: Drafts, sub: SubscriptionDraft) -> None:
    topic = d.topics[sub.topic.value] if sub.topic else None
    queue = d.queues[sub.queue.value] if sub.queue else None
    if topic is not None and queue is not None and sub.queue is not None:
        if topic.fifo and not queue.fifo:
            sub.queue.node.problem(
                f"topic {quote(topic.name)} is FIFO but queue {quote(queue.name)} is standard; a FIFO "
                "topic delivers only to FIFO queues, so set fifo: true on the queue or use a standard topic"
            )
        elif queue.fifo and not topic.fifo:
            sub.queue.node.problem(
                f"topic {quote(topic.name)} is standard but queue {quote(queue.name)} is FIFO; a standard "
                "topic cannot deliver to a FIFO queue, so subscribe the queue to a FIFO topic or remove "
                "fifo: true from the queue"
            )
    if sub.dlq is None:
        return
    dlq = d.queues[sub.dlq.value]
    node = sub.dlq.node
    if queue is not None and dlq.name == queue.name:
        node.problem(
            f"the subscription's dead-letter queue cannot be the subscribed queue {quote(queue.name)}; "
            "name a separate queue"
        )
        return
    if queue is not None and queue.account and dlq.account and dlq.account.value != queue.account.value:
        node.problem(
            f"dead-letter queue {quote(dlq.name)} is in account {dlq.account.value} but a subscription "
            f"DLQ must be in the subscribing queue's account ({queue.account.value}); use a queue owned "
            f"by {queue.account.value}"
        )
    if topic is not None and topic.region and dlq.region and dlq.region.value != topic.region.value:
        node.problem(
            f"dead-letter queue {quote(dlq.name)} is in {dlq.region.value} but a subscription DLQ must "
            f"be in the topic's region ({topic.region.value}); use a queue in {topic.region.value}"
        )
    if topic is not None and topic.fifo != dlq.fifo:
        node.problem(
            f"dead-letter queue {quote(dlq.name)} is {kind_of(dlq.fifo)} but topic {quote(topic.name)} is "
            f"{kind_of(topic.fifo)}; a subscription DLQ must match the topic, so use a "
            f"{kind_of(topic.fifo)} queue"
        )


def check_keys(d: Drafts) -> None:
    """Each ``kms_key`` names a key of the resource's region, and the key lets the accounts that
    use the resource encrypt / decrypt with it (AWS's rules for SSE with a customer-managed key):

    - topic: each publisher needs encrypt and decrypt (SNS asks KMS for a data key as the caller);
    - queue: each producer needs encrypt and decrypt; the owner, whose consumers receive, decrypt;
    - bucket: each writer needs encrypt (GenerateDataKey for SSE-KMS); each reader decrypt.
    """
    owned: list[tuple[str, OwnedDraft]] = [("topic", t) for t in d.topics.values()]
    owned += [("queue", q) for q in d.queues.values()] + [("bucket", b) for b in d.buckets.values()]
    for kind, res in owned:
        ref = res.kms_key
        if ref is None:
            continue
        key = d.keys.get(ref.value)
        if key is None:
            ref.node.problem(f"unknown key {quote(ref.value)}; {choices(d.keys, 'keys')}{suggest(ref.value, d.keys)}")
            continue
        if res.region and key.region and res.region.value != key.region.value:
            ref.node.problem(
                f"key {quote(key.name)} is in {key.region.value} but this {kind} is in {res.region.value}; "
                f"KMS keys are regional and a {kind} can only use a key of its own region, so use a key in "
                f"{res.region.value}"
            )
            continue
        for account, use, why in _key_uses(kind, res):
            if key.account and account != key.account.value and account not in getattr(key, use):
                ref.node.problem(
                    f"key {quote(key.name)} does not let {why} {account} {use}; add {account} to "
                    f"keys.{key.name}.{use}"
                )


def _key_uses(kind: str, res: OwnedDraft) -> list[tuple[str, str, str]]:
    """(account, "encrypt" | "decrypt", who it is) for every use of a resource's key."""
    if isinstance(res, TopicDraft):
        return [(a, use, "publisher") for a in res.publishers for use in ("encrypt", "decrypt")]
    if isinstance(res, QueueDraft):
        uses = [(a, use, "producer") for a in res.producers for use in ("encrypt", "decrypt")]
        return uses + ([(res.account.value, "decrypt", "the owner (its consumers receive)")] if res.account else [])
    assert isinstance(res, BucketDraft), kind
    return [(a, "encrypt", "writer") for a in res.writers] + [(a, "decrypt", "reader") for a in res.readers]


def check_names_one_to_one(d: Drafts) -> None:
    """No two logical names may fold into one provider alias, module name or physical name."""
    accounts = [a for a in d.accounts.values() if a.valid_name]
    _one_to_one(
        (
            (f"account {quote(a.name)}", provider_alias(a.name, region), a.node)
            for a in accounts
            for region in d.regions
        ),
        "Terraform provider alias",
    )
    topics = [t for t in d.topics.values() if t.valid_name]
    queues = [q for q in d.queues.values() if q.valid_name]
    buckets = [b for b in d.buckets.values() if b.valid_name]
    subscriptions = [s for s in d.subscriptions if s.topic and s.queue]
    modules = [(f"topic {quote(t.name)}", topic_module(t.name), t.node) for t in topics]
    modules += [(f"queue {quote(q.name)}", queue_module(q.name), q.node) for q in queues]
    modules += [(f"bucket {quote(b.name)}", bucket_module(b.name), b.node) for b in buckets]
    keys: list[KeyDraft] = [k for k in d.keys.values() if k.valid_name]
    modules += [(f"key {quote(k.name)}", key_module(k.name), k.node) for k in keys]
    for s in subscriptions:
        assert s.topic is not None and s.queue is not None
        name = subscription_module(s.topic.value, s.queue.value)
        modules.append((f"subscription {s.topic.value} -> {s.queue.value}", name, s.node))
    _one_to_one(modules, "Terraform module")
    run = "<run-id>"
    _one_to_one(((f"topic {quote(t.name)}", physical_name(run, t.name, t.fifo), t.node) for t in topics), "topic name")
    _one_to_one(((f"queue {quote(q.name)}", physical_name(run, q.name, q.fifo), q.node) for q in queues), "queue name")
    _one_to_one(((f"key {quote(k.name)}", physical_name(run, k.name), k.node) for k in keys), "KMS key alias")
    ids = {a.name: a.id for a in d.accounts.values() if a.id}
    _one_to_one(
        (
            (f"bucket {quote(b.name)}", bucket_name(run, b.name, ids[b.account.value]), b.node)
            for b in buckets
            if b.account and b.account.value in ids
        ),
        "S3 bucket name",
    )


def _one_to_one(entries: Iterable[tuple[str, str, Node]], what: str) -> None:
    """Report each entry whose target name an earlier, different entry already has."""
    first: dict[str, tuple[str, Node]] = {}
    reported: set[str] = set()
    for description, target, node in entries:
        seen = first.setdefault(target, (description, node))
        if seen[0] == description or description in reported:
            continue  # the same entry again (e.g. one account in several regions, a repeated subscription)
        reported.add(description)
        why = (
            "Terraform names are lowercase and read every character but letters, digits and '_' as '_'"
            if what.startswith("Terraform")
            else "each needs its own"
        )
        node.problem(f"{description} and {seen[0]} (line {seen[1].line}) both become the {what} {target}; {why}, so rename one of them")
