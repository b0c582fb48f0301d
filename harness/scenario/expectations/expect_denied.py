"""``expect_denied:``: accesses that must be refused, cross-checked against the topology.

Each entry names who attempts what, on which resource, and must be refused::

    expect_denied:
      - {from: "999999999999/us-east-1", action: send, queue: b-eu}     # an account outside the topology
      - {from: C/us-east-1, action: read_payloads, bucket: payloads, via: http}
      - {from: A/us-east-1, action: publish, topic: orders}
      - {action: deliver, topic: orders, queue: b-eu-dlq, within: 5s}   # SNS is the caller: no from
      - {from: B/us-east-1, action: invoke, function: c-fn}             # B calls Invoke on C's function
      - {action: deliver, topic: orders-fifo, function: c-fn}           # SNS invokes a function it is not admitted to

``from`` is ``<account>/<region>``: a topology account name or a quoted 12-digit id. ``action`` is
one of :data:`harness.access.deployment.DENIAL_ACTIONS` and names the resources it needs (publish:
topic; send: queue; subscribe: topic and queue; deliver: topic and queue, or topic and function;
invoke: function; put/read/delete_payloads: bucket, the topology's only bucket by default). ``via: http`` models a plain-HTTP caller. ``within`` (deliver
only): on AWS, how long the probe message must not arrive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.access.deployment import DENIAL_ACTIONS
from harness.scenario.expectations.base import Expectation, ReadContext
from harness.scenario.format.function_routes import function_ref
from harness.scenario.format.sends import queue_ref
from harness.scenario.format.units import read_duration
from harness.topology.model import Topology
from harness.topology.sourced_yaml import Node, join_names, quote, suggest

if TYPE_CHECKING:
    from harness.scenario.cost import CostContext

DENIED_KEYS = ("from", "action", "topic", "queue", "bucket", "via", "within", "function")
NEEDS: dict[str, tuple[str, ...]] = {
    "publish": ("topic",),
    "send": ("queue",),
    "subscribe": ("topic", "queue"),
    "deliver": ("topic", "queue"),  # or topic and function: SNS invoking a function
    "put_payloads": ("bucket",),
    "read_payloads": ("bucket",),
    "delete_payloads": ("bucket",),
    "invoke": ("function",),
}
FROM_HINT = 'write from: <account>/<region>, e.g. from: C/us-east-1 or from: "999999999999/us-east-1"'
_ACCOUNT_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class ExpectDenied(Expectation):
    """One ``expect_denied`` entry: ``account`` (a topology account name, or the 12-digit id of an
    account outside the topology) attempts ``action`` from a client in ``region`` on the named topic,
    queue or bucket, and must be refused. Judged by the access step before anything is sent
    (:mod:`harness.scenario.execute.access_step`): by the evaluator on the emulator, by the real
    call on AWS."""

    account: str
    region: str
    action: str  # one of harness.access.deployment.DENIAL_ACTIONS
    topic: str | None = None
    queue: str | None = None
    bucket: str | None = None
    via: str = "https"  # "http": a plain-HTTP caller (aws:SecureTransport false)
    within: float = 10.0  # deliver, on AWS: how long the probe message must not arrive
    line: int = field(default=0, compare=False)  # in the scenario file, for messages
    function: str | None = None  # invoke, or deliver to a function

    key = "expect_denied"
    needs_send = False
    load = "accesses that must be refused are judged before a scenario sends (`harness run`), not under load"
    keys = DENIED_KEYS

    @property
    def secure_transport(self) -> bool:
        return self.via != "http"

    @property
    def label(self) -> str:
        named = (("topic", self.topic), ("queue", self.queue), ("bucket", self.bucket), ("function", self.function))
        target = " ".join(f"{k} {v}" for k, v in named if v)
        who = "SNS" if self.action == "deliver" else f"{self.account}/{self.region}"
        return f"{who} {self.action} {target}" + (" via http" if self.via == "http" else "")

    @classmethod
    def read(cls, r: ReadContext, node: Node) -> list[Expectation] | None:
        """Every entry of ``expect_denied:``; None when one has a problem (already recorded)."""
        items = node.items(hint="write expect_denied: as a list, e.g. - {from: C/us-east-1, action: send, queue: b-eu}")
        if items is not None and not items:
            node.problem("list at least one access that must be refused, e.g. - {from: C/us-east-1, action: send, queue: b-eu}")
        entries = [_entry(r.topology, item) for item in items or []]
        return None if None in entries else [e for e in entries if e is not None]

    def cost(self, c: CostContext) -> None:
        return None  # a few refused calls: nothing billed worth counting (and nothing at all on the emulator)


def _origin(topo: Topology, node: Node) -> tuple[str | None, str | None]:
    text = node.string(what="origin", hint=FROM_HINT)
    if text is None:
        return None, None
    account, slash, region = text.partition("/")
    if not slash or not account or not region:
        node.problem(f"{quote(text)} does not name both an account and a region; {FROM_HINT}")
        return None, None
    ok = True
    if account not in topo.accounts and not _ACCOUNT_ID.match(account):
        node.problem(
            f"unknown account {quote(account)}; use one of {join_names(topo.accounts)}{suggest(account, topo.accounts)}, "
            'or the quoted 12-digit id of an account outside the topology, e.g. "999999999999/us-east-1"'
        )
        ok = False
    if region not in topo.regions:
        node.problem(f"region {quote(region)} is not in the topology's regions; use one of {join_names(topo.regions)}")
        ok = False
    return (account, region) if ok else (None, None)


def _resource(topo: Topology, f: dict[str, Node], kind: str) -> str | None:
    if kind == "queue":
        return queue_ref(topo, f["queue"])
    if kind == "function":
        return function_ref(topo, f["function"])
    table = topo.topics if kind == "topic" else topo.buckets
    name = f[kind].string(what=f"{kind} name")
    if name is not None and name not in table:
        f[kind].problem(f"no {kind} {quote(name)} in topology {quote(topo.name)}; use one of {join_names(table)}{suggest(name, table)}")
        return None
    return name


def _entry(topo: Topology, node: Node) -> ExpectDenied | None:
    f = node.mapping(allowed=DENIED_KEYS, required=("action",), hint="e.g. - {from: C/us-east-1, action: send, queue: b-eu}")
    if f is None:
        return None
    action = f["action"].string(what="action") if "action" in f else None
    if action is not None and action not in DENIAL_ACTIONS:
        f["action"].problem(f"unknown action {quote(action)}; use one of {join_names(DENIAL_ACTIONS)}{suggest(action, DENIAL_ACTIONS)}")
        action = None
    if action is None:
        return None
    ok = True
    account = region = None
    if action == "deliver":
        if "from" in f:
            f["from"].problem("SNS is the caller of a delivery; remove from: (the topic's own SNS delivers)")
            ok = False
        account, region = "SNS", ""
    elif "from" not in f:
        node.problem(f"missing required field 'from'; {FROM_HINT}", field=node.child_path("from"))
        ok = False
    else:
        account, region = _origin(topo, f["from"])
        ok = account is not None
    needs = NEEDS[action]
    if action == "deliver" and "function" in f:
        needs = ("topic", "function")
        if "queue" in f:
            f["queue"].problem("a delivery goes to a queue or to a function; remove one of queue: and function:")
            ok = False
    names: dict[str, str | None] = {}
    for kind in ("topic", "queue", "bucket", "function"):
        if kind in f and kind not in needs:
            f[kind].problem(f"action {action} does not take {kind}:; it needs {' and '.join(n + ':' for n in needs)}")
            ok = False
        elif kind in f:
            names[kind] = _resource(topo, f, kind)
            ok = ok and names[kind] is not None
        elif kind in needs:
            if kind == "bucket" and len(topo.buckets) == 1:
                names[kind] = next(iter(topo.buckets))
                continue
            node.problem(f"action {action} needs {kind}: <name>; use one of {join_names(getattr(topo, kind + 's'))}", field=node.child_path(kind))
            ok = False
    via = "https"
    if "via" in f:
        via = f["via"].string(pattern=r"https|http", what="transport", hint="write via: http (a plain-HTTP caller) or leave it out") or "https"
        if action == "deliver" and via == "http":
            f["via"].problem("SNS delivers over its own connection; remove via: from a deliver entry")
            ok = False
    within = 10.0
    if "within" in f:
        if action != "deliver":
            f["within"].problem("within applies only to action deliver (how long the probe must not arrive); remove it")
            ok = False
        else:
            within = read_duration(f["within"]) or 0.0
            ok = ok and within > 0
    if not ok or account is None or region is None:
        return None
    return ExpectDenied(account, region, action, names.get("topic"), names.get("queue"), names.get("bucket"), via, within, node.line,
                        names.get("function"))
