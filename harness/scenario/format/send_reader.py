"""Read the ``send:`` section of a scenario file, cross-checked against its topology."""

from __future__ import annotations

import json

from harness.payload import wire
from harness.scenario.format.attributes import read_attributes
from harness.scenario.format.model import Attribute, Send, Size
from harness.scenario.format.units import read_size
from harness.topology.model import Topology
from harness.topology.sourced_yaml import Node, join_names, quote, suggest

MAX_COUNT = 100_000
MAX_SENDERS = 64
SEND_KEYS = ("from", "topic", "queue", "count", "size", "sizes", "body", "attributes", "group", "dedup", "rate", "warmup", "offload", "bucket", "senders")
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
    warmup = f["warmup"].integer(min=0, max=MAX_COUNT) if "warmup" in f else 0
    senders = f["senders"].integer(min=1, max=MAX_SENDERS, hint="publishers in parallel, e.g. senders: 4") if "senders" in f else 4
    if count is not None and warmup is not None and warmup >= count:
        f["warmup"].problem(f"warmup {warmup} leaves no measured message out of count {count}; lower it")
        ok = False
    offload = f["offload"].string(pattern=r"auto|always", what="offload mode", hint="write auto or always") if "offload" in f else "auto"
    threshold = wire.DEFAULT_SNS_THRESHOLD if topic else wire.DEFAULT_SQS_THRESHOLD
    bucket = _bucket(topo, f, node, account, sizes, offload, threshold)
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
    )


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
