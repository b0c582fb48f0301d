"""``send:`` (one) or ``sends:`` (several, run concurrently): each send read and cross-checked against
the topology, and which queues they can reach (for the expectations' checks).

Several sends may differ in account, region, topic or queue, FIFO group, rate and everything else
a send has; each message is still judged on its own, on the path its send takes. Two sends may not
share a FIFO message group on one target (the order across two concurrent producers of one group
is nobody's to check). An ``expect`` queue is judged against the messages of every send that reaches
it (a topic it is subscribed to, or a direct send to it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from harness.payload import wire
from harness.scenario.format.attributes import body_filter_unmatchable, numeric_filter_on_string, read_attributes
from harness.scenario.format.bounds import DEFAULT_SEND_LAG_SECONDS, DEFAULT_SEND_RATE_SHARE, read_lag, read_throughput
from harness.scenario.format.model import Attribute, RateBound, Send, Size
from harness.scenario.format.units import read_size
from harness.topology.model import Topology
from harness.topology.sourced_yaml import Node, join_names, quote, suggest

MAX_COUNT = 100_000
MAX_SENDERS = 64
SEND_KEYS = (
    "from", "topic", "queue", "count", "size", "sizes", "body", "attributes", "group", "dedup", "rate", "warmup", "offload", "bucket",
    "senders", "throughput", "lag",
)
MAX_BODY = 64 * 1024  # a JSON body stays well inline
ATTRIBUTE_ALLOWANCE = 4096  # bytes of attributes beside a payload: within that of the threshold it may go through S3
CORRELATION_ALLOWANCE = 256  # bytes of the harness's correlation attribute (name, type, id), rounded up
FROM_HINT = "write from: <account>/<region>, e.g. from: A/us-east-1"


def queue_ref(topo: Topology, node: Node) -> str | None:
    """A queue of the topology, by logical name."""
    name = node.string(what="queue name")
    if name is None:
        return None
    if name not in topo.queues:
        node.problem(
            f"no queue {quote(name)} in topology {quote(topo.name)}; use one of "
            f"{join_names(topo.queues)}{suggest(name, topo.queues)}"
        )
        return None
    return name


def _origin(topo: Topology, node: Node) -> tuple[str | None, str | None]:
    """``from: <account>/<region>``: the sending client's account and region."""
    origin = node.string(what="origin", hint=FROM_HINT)
    if origin is None:
        return None, None
    account, slash, region = origin.partition("/")
    if not slash or not account or not region:
        node.problem(f"{quote(origin)} does not name both an account and a region; {FROM_HINT}")
        return None, None
    ok = True
    if account not in topo.accounts:
        node.problem(f"unknown account {quote(account)}; use one of {join_names(topo.accounts)}{suggest(account, topo.accounts)}")
        ok = False
    if region not in topo.regions:
        node.problem(f"region {quote(region)} is not in the topology's regions; use one of {join_names(topo.regions)}")
        ok = False
    return (account, region) if ok else (None, None)


def read_send(topo: Topology, node: Node) -> Send | None:
    f = node.mapping(allowed=SEND_KEYS, required=("from",))
    if f is None:
        return None
    ok = True
    account = region = None
    if "from" in f:
        account, region = _origin(topo, f["from"])
        ok = account is not None
    if ("topic" in f) == ("queue" in f):
        node.problem("name exactly one target: topic: <name> (through SNS) or queue: <name> (direct to SQS)")
        return None
    topic = queue = None
    fifo = False
    if "topic" in f:
        topic = f["topic"].string(what="topic name")
        if topic is not None and topic not in topo.topics:
            f["topic"].problem(f"no topic {quote(topic)} in the topology; use one of {join_names(topo.topics)}{suggest(topic, topo.topics)}")
            topic = None
        if topic is None:
            return None
        fifo = topo.topics[topic].fifo
        t = topo.topics[topic]
        if account and account != t.account and account not in t.publishers:
            f["from"].problem(f"account {account} may not publish to topic {topic} (owner {t.account}); add it to the topic's publishers or send from {t.account}")
            ok = False
    else:
        queue = queue_ref(topo, f["queue"])
        if queue is None:
            return None
        q = topo.queues[queue]
        fifo = q.fifo
        if account and account != q.account and account not in q.producers:
            f["from"].problem(f"account {account} may not send to queue {queue} (owner {q.account}); add it to the queue's producers or send from {q.account}")
            ok = False
    count = f["count"].integer(min=1, max=MAX_COUNT) if "count" in f else 1
    sizes: list[Size | None] = []
    body = _body(f["body"]) if "body" in f else None
    if body is not None:
        sizes = [Size("body", len(body.encode("utf-8")))]
        for key in ("size", "sizes"):
            if key in f:
                f[key].problem(f"body: is the payload, so its size is the JSON's; remove {key}")
    elif "body" in f:
        sizes = [None]
    elif "size" in f and "sizes" in f:
        f["sizes"].problem("write either size: or sizes:, not both")
    elif "sizes" in f:
        sizes = [read_size(n) for n in (f["sizes"].items() or [])]
        if not sizes:
            f["sizes"].problem("list at least one size, e.g. sizes: [1KiB, 5MiB]")
    elif "size" in f:
        sizes = [read_size(f["size"])]
    else:
        sizes = [Size("1KiB", 1024)]
    attributes: dict[str, Attribute] | None = read_attributes(f["attributes"]) if "attributes" in f else {}
    if attributes is not None:
        _room_for_body(f.get("size") or f.get("sizes") or node, sizes, attributes)
    group = f["group"].string(what="message group id") if "group" in f else None
    if fifo and group is None and "group" not in f:
        node.problem("the target is FIFO: add group: <message group id>")
        ok = False
    if not fifo and "group" in f:
        f["group"].problem("group applies only to FIFO targets; remove it")
        ok = False
    dedup = "unique"
    if "dedup" in f:
        dedup = f["dedup"].string(pattern=r"unique|repeat", what="dedup mode", hint="write unique or repeat") or "unique"
        if not fifo:
            f["dedup"].problem("dedup applies only to FIFO targets; remove it")
            ok = False
    rate = None
    if "rate" in f:
        rate = f["rate"].integer(min=1, max=10_000, hint="messages per second")
    throughput, lag = _pacing_objectives(f, float(rate) if rate else None)
    warmup = f["warmup"].integer(min=0, max=MAX_COUNT) if "warmup" in f else 0
    senders = f["senders"].integer(min=1, max=MAX_SENDERS, hint="publishers in parallel, e.g. senders: 4") if "senders" in f else 4
    if count is not None and warmup is not None and warmup >= count:
        f["warmup"].problem(f"warmup {warmup} leaves no measured message out of count {count}; lower it")
        ok = False
    offload = f["offload"].string(pattern=r"auto|always", what="offload mode", hint="write auto or always") if "offload" in f else "auto"
    threshold = topo.topics[topic].message_limit if topic else wire.DEFAULT_SQS_THRESHOLD
    # a payload bucket is needed for what may go through S3 on either target: the emulator keeps SNS at 256 KiB
    bucket = _bucket(topo, f, node, account, sizes, offload, min(threshold, wire.DEFAULT_SNS_THRESHOLD) if topic else threshold)
    if not ok or attributes is None or None in sizes or count is None or warmup is None or offload is None or account is None or region is None or senders is None:
        return None
    return Send(
        account=account,
        region=region,
        topic=topic,
        queue=queue,
        count=count,
        sizes=tuple(s for s in sizes if s is not None),
        attributes=attributes,
        group=group,
        dedup=dedup,
        rate=float(rate) if rate else None,
        warmup=warmup,
        offload=offload,
        bucket=bucket,
        senders=senders,
        body=body,
        throughput=throughput,
        lag_max=lag,
        line=node.line,
        limit=threshold,
    )


def _pacing_objectives(f: dict[str, Node], rate: float | None) -> tuple[RateBound | None, float | None]:
    """The sender's objectives: what it must achieve of its rate, how late it may fall behind. A paced
    send gets the defaults (95 % of its rate, 1 s) unless it states its own."""
    for key in ("throughput", "lag"):
        if key in f and rate is None:
            f[key].problem(f"{key} bounds a paced send; add rate: <msg/s> or remove {key}")
            return None, None
    if rate is None:
        return None, None
    throughput = read_throughput(f["throughput"], rate) if "throughput" in f else RateBound(share=DEFAULT_SEND_RATE_SHARE, stated=False)
    lag = read_lag(f["lag"]) if "lag" in f else DEFAULT_SEND_LAG_SECONDS
    return throughput, lag


def _body(node: Node) -> str | None:
    """``body:`` — a JSON object written as YAML, sent compact as each message's payload."""
    if node.kind != "mapping":
        node.problem(f"expected a mapping (the JSON object to send) but found {node.describe()}; e.g. body: {{kind: a, detail: {{x: 1}}}}")
        return None
    text = json.dumps(node.to_python(), separators=(",", ":"), sort_keys=True)
    if len(text.encode("utf-8")) > MAX_BODY:
        node.problem(f"is {len(text)} bytes of JSON; keep a body under {MAX_BODY} bytes (use size: for large payloads)")
        return None
    return text


def _room_for_body(node: Node, sizes: list[Size | None], attributes: dict[str, Attribute]) -> None:
    """A size on the wire must leave a body beside the attributes (the harness's own included)."""
    used = wire.attributes_bytes({k: a.wire() for k, a in attributes.items()}) + CORRELATION_ALLOWANCE
    for size in sizes:
        if size is not None and size.on_wire and size.bytes <= used:
            node.problem(
                f"{size.text} is {size.bytes} bytes on the wire but the attributes take up to {used} "
                "(yours + the harness's correlation id); use a larger size or fewer attribute bytes"
            )


def may_offload(send: Send) -> bool:
    """Whether some payload of ``send`` may go through S3 (the loader's rule: ``offload: always``,
    or a size within the attribute allowance of the path's threshold, on AWS or on the emulator,
    where SNS keeps 256 KiB whatever the topic's max_message_size)."""
    threshold = min(send.threshold, wire.DEFAULT_SNS_THRESHOLD) if send.topic else send.threshold
    return send.offload == "always" or any(s.bytes > threshold - ATTRIBUTE_ALLOWANCE for s in send.sizes)


def _bucket(
    topo: Topology,
    f: dict[str, Node],
    node: Node,
    account: str | None,
    sizes: list[Size | None],
    offload: str | None,
    threshold: int,
) -> str | None:
    """The payload bucket, and whether the sending account may write to it (its owner or a writer)."""
    if "bucket" in f:
        name = f["bucket"].string(what="bucket name")
        if name is not None and name not in topo.buckets:
            f["bucket"].problem(f"no bucket {quote(name)} in the topology; use one of {join_names(topo.buckets)}")
            return None
        where = f["bucket"]
    else:
        name = next(iter(topo.buckets)) if len(topo.buckets) == 1 else None
        where = node
    # Attributes count towards the limit too: within a few KiB of it a payload may tip over.
    offloads = offload == "always" or any(s is not None and s.bytes > threshold - ATTRIBUTE_ALLOWANCE for s in sizes)
    if not offloads:
        return name
    if name is None:
        where.problem(f"payloads may go through S3 but the topology has {len(topo.buckets)} buckets; name one with bucket: <name>")
        return None
    bucket = topo.buckets[name]
    if account and account != bucket.account and account not in bucket.writers:
        may = join_names([bucket.account, *bucket.writers])
        where.problem(
            f"payloads go to bucket {name}, which account {bucket.account} owns and only {may} may write, "
            f"but the sender is {account}; "
            f"send from one of them or add {account} to buckets.{name}.writers in the topology"
        )
        return None
    return name


MAX_SENDS = 16


def read_sends(topo: Topology, top: dict[str, Node], one_send_only: tuple[str, ...] = ()) -> tuple[list[Send], bool]:
    """The scenario's sends in file order, and whether they all read cleanly. ``one_send_only``: the
    fields present that follow the messages of one send (refused with several sends)."""
    if "send" in top and "sends" in top:
        top["sends"].problem("write either send: (one) or sends: (a list), not both")
        return [], False
    if "send" in top:
        one = read_send(topo, top["send"])
        return ([one] if one is not None else []), one is not None
    if "sends" not in top:
        return [], True
    items = top["sends"].items(hint="write sends: as a list of send mappings, e.g. - {from: A/us-east-1, topic: orders}")
    if items is None:
        return [], False
    if not 1 <= len(items) <= MAX_SENDS:
        top["sends"].problem(f"lists {len(items)} sends; write 1 to {MAX_SENDS}")
        return [], False
    read = [read_send(topo, item) for item in items]
    sends = [s for s in read if s is not None]
    ok = len(sends) == len(read)
    seen: dict[tuple[str, str], int] = {}
    for i, (item, send) in enumerate(zip(items, read)):
        if send is None or send.group is None:
            continue
        group_key = (send.via, send.group)
        if group_key in seen:
            item.problem(
                f"sends[{seen[group_key]}] already sends FIFO group {send.group} to {send.via.replace(':', ' ')}; "
                "give each send its own group (order is checked per group)"
            )
            ok = False
        seen.setdefault(group_key, i)
    if ok and len(sends) > 1:
        for key in one_send_only:
            if key in top:
                top[key].problem(f"{key} follows the messages of one send; this scenario has {len(sends)}: split it")
                ok = False
    return sends, ok


def subscribed(topo: Topology) -> dict[str, set[str]]:
    """Topic → the queues subscribed to it."""
    out: dict[str, set[str]] = {}
    for sub in topo.queue_subscriptions:
        out.setdefault(sub.topic, set()).add(sub.queue)
    return out


def reaching(topo: Topology, sends: Sequence[Send], queue: str) -> list[Send]:
    """The sends whose messages are routed to ``queue``."""
    subs = subscribed(topo)
    return [s for s in sends if s.queue == queue or (s.topic is not None and queue in subs.get(s.topic, set()))]


def expect_problem(topo: Topology, sends: Sequence[Send], queue: str) -> str | None:
    """Why ``queue`` under ``expect`` could never receive the messages of the sends that reach it."""
    reach = reaching(topo, sends, queue)
    if not reach:
        if len(sends) == 1:
            send = sends[0]
            if send.topic:
                return (f"queue {queue} is not subscribed to topic {send.topic}, so it can never receive these; "
                        "subscribe it in the topology or move it to expect_not")
            return f"messages go straight to queue {send.queue}; expect that queue or send through a topic"
        targets = ", ".join(dict.fromkeys(s.via.replace(":", " ") for s in sends))
        return f"no send reaches queue {queue} (they go to {targets}); subscribe it in the topology or move it to expect_not"
    for send in reach:
        if send.topic is None:
            continue
        key = numeric_filter_on_string(topo, send.topic, queue, send.attributes)
        if key:
            return (f"the subscription of {queue} filters {key} numerically, and on AWS a numeric filter matches only "
                    f"Number attributes, so it never receives these (LocalStack 4.13.1 would deliver them); "
                    f"send {key}: {{type: Number, value: ...}}")
        why = body_filter_unmatchable(topo, send.topic, queue, send.body, send.offload)
        if why:
            return f"the subscription of {queue} filters the message body, but {why}"
    return None


def expect_not_problem(topo: Topology, sends: Sequence[Send], queue: str) -> str | None:
    """Why ``queue`` under ``expect_not`` would be judged differently on LocalStack and on AWS."""
    for send in sends:
        key = numeric_filter_on_string(topo, send.topic, queue, send.attributes) if send.topic else None
        if key:
            return (f"the subscription of {queue} filters {key} numerically and {key} is sent as a String: AWS never delivers "
                    f"it there but LocalStack 4.13.1 does, so this check would fail on LocalStack only; send {key} as "
                    "{type: Number, value: ...} or filter it with a string condition")
    return None
