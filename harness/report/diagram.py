"""The run's delivery paths as a graph, and that graph as a Mermaid flowchart for ``report.md``.

Nodes are the producers (one per sending account/region), topics, queues, Lambda functions and
payload buckets, each placed in its account and region (from report.json's ``resources``; a path's
own ends when a resource is not listed there). Edges: producer → topic (publish), topic → queue
(SNS delivery), topic → function (SNS invokes it), queue → function (its event source mapping
polls), producer → queue (a direct send; on a dead-letter path producer → queue → its DLQ, the
redrive), function → queue (Lambda's records of its failed invocations, to its on-failure
destination, after topic → function), and for offloaded messages producer ⇢ bucket ⇢ queue or function. An edge
shared by several scenarios is drawn once; its verdict is the worst of theirs (failed over error
over passed; per scenario the best of its paths on the edge, so a publish that reached one queue
and not another is not the culprit), its label the messages received of those sent on it. :mod:`harness.report.svg_diagram`
draws the same graph for ``report.html``. Input: report.json's dict; no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from harness.report.kind import looks

PASSED, ERROR, FAILED = "passed", "error", "failed"
RANK = {PASSED: 0, ERROR: 1, FAILED: 2}
COLOUR = {PASSED: "#1a7f37", ERROR: "#bf8700", FAILED: "#cf222e"}
MARK = {PASSED: "✓", ERROR: "!", FAILED: "✗"}
DASHED = ("put", "get")  # payload edges: the message itself travelled on the solid ones


@dataclass
class Node:
    id: str
    kind: str  # producer | topic | queue | function | bucket
    name: str
    account: str
    region: str


@dataclass
class Edge:
    source: str
    target: str
    kind: str  # publish | deliver | send | redrive | invoke | poll | on_failure | put | get
    verdicts: dict[str, str] = field(default_factory=dict)  # scenario -> the best verdict of its paths on this edge
    sent: dict[str, int] = field(default_factory=dict)  # scenario -> messages sent on this edge
    received: int | None = None  # deliver/send edges: messages that arrived
    paths: list[str] = field(default_factory=list)  # "scenario: path label" of every path it carries

    @property
    def verdict(self) -> str:
        """The worst scenario's: a publish that fanned out to a good and a bad queue is not the culprit."""
        return max(self.verdicts.values(), key=RANK.__getitem__, default=PASSED)

    @property
    def label(self) -> str:
        total = sum(self.sent.values())
        if self.kind in DASHED:
            text = f"{total} via S3"
        elif self.received is None:  # a publish, or a send into a queue that redrives elsewhere
            text = f"{total} sent"
        else:
            text = f"{self.received}/{total}"
        return f"{text} {MARK[self.verdict]}"


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)  # by id, in order of first use
    edges: list[Edge] = field(default_factory=list)

    def groups(self) -> dict[str, dict[str, list[Node]]]:
        """account (by name) -> region -> nodes, regions and nodes in order of first appearance."""
        out: dict[str, dict[str, list[Node]]] = {}
        for node in self.nodes.values():
            out.setdefault(node.account, {}).setdefault(node.region, []).append(node)
        return dict(sorted(out.items()))


def endpoint(to: dict) -> tuple[str, str]:
    """Where a path ends: ("queue", name) or ("function", name). Reports written before functions
    existed name a queue only."""
    return ("function", to["function"]) if to.get("function") else ("queue", to["queue"])


def path_verdict(scenario: dict, path: dict) -> str:
    """``error`` when the scenario could not finish; ``failed`` when the path's own verdict failed
    (its ``failed``; in reports written before that field: a failure naming the path's queue,
    ``queue: …`` or ``… → queue: …``, or a message that never arrived); else ``passed``."""
    if scenario["status"] == ERROR:
        return ERROR
    if "failed" in path:
        return FAILED if path["failed"] else PASSED
    queue = endpoint(path["to"])[1]
    named = any(f.startswith(f"{queue}:") or f"→ {queue}:" in f for f in scenario.get("failures", []))
    lost = path.get("counts", {}).get("lost", 0) and scenario["status"] == FAILED
    return FAILED if named or lost else PASSED


class _Builder:
    def __init__(self, data: dict):
        self.resources = data.get("resources") or {}
        self.graph = Graph()
        self._ids: dict[tuple[str, ...], str] = {}
        self._edges: dict[tuple[str, str, str], Edge] = {}

    def node(self, kind: str, name: str, account: str, region: str) -> str:
        key = (kind, name)
        if key not in self._ids:
            base = re.sub(r"[^A-Za-z0-9]", "_", f"{kind[0]}_{name}")
            node_id, n = base, 1
            while node_id in self.graph.nodes:
                n += 1
                node_id = f"{base}_{n}"
            self._ids[key] = node_id
            self.graph.nodes[node_id] = Node(node_id, kind, name, account, region)
        return self._ids[key]

    def place(self, kind: str, name: str, fallback: tuple[str, str]) -> tuple[str, str]:
        entry = (self.resources.get(kind + "s") or {}).get(name)
        return (entry["account"], entry["region"]) if entry else fallback

    def bucket(self, physical: str, fallback: tuple[str, str]) -> tuple[str, str, str]:
        for logical, entry in (self.resources.get("buckets") or {}).items():
            if entry.get("name") == physical:
                return logical, entry["account"], entry["region"]
        return physical, *fallback

    def edge(self, source: str, target: str, kind: str, scenario: str, sent: int, verdict: str, path: str) -> Edge:
        key = (source, target, kind)
        if key not in self._edges:
            self._edges[key] = Edge(source, target, kind)
            self.graph.edges.append(self._edges[key])
        e = self._edges[key]
        before = e.verdicts.get(scenario)
        e.verdicts[scenario] = verdict if before is None or RANK[verdict] < RANK[before] else before
        shared = kind in ("publish", "put")  # one publish / upload serves every queue of a fan-out
        e.sent[scenario] = max(e.sent.get(scenario, 0), sent) if shared else e.sent.get(scenario, 0) + sent
        if path not in e.paths:
            e.paths.append(path)
        return e

    def add(self, sc: dict, p: dict) -> None:
        src, dst = p["from"], p["to"]
        verdict, label, received = path_verdict(sc, p), f"{sc['name']}: {p['label']}", p.get("counts", {}).get("received", 0)
        producer = self.node("producer", f"{src['account']}/{src['region']}", src["account"], src["region"])
        if endpoint(dst)[0] == "function":
            last = self._to_function(sc, p, producer, verdict, label)
        else:
            last = self._to_queue(sc, p, producer, verdict, label)
        last.received = (last.received or 0) + received
        for physical, n in sorted(((p.get("carried") or {}).get("buckets") or {}).items()):
            name, account, region = self.bucket(physical, (src["account"], src["region"]))
            bucket = self.node("bucket", name, account, region)
            self.edge(producer, bucket, "put", sc["name"], n, verdict, label)
            self.edge(bucket, last.target, "get", sc["name"], n, verdict, label)

    def _to_function(self, sc: dict, p: dict, producer: str, verdict: str, label: str) -> Edge:
        """producer → topic → function (SNS invokes it), or → queue → function (its mapping polls)."""
        src, dst, sent = p["from"], p["to"], p.get("counts", {}).get("sent", 0)
        function = self.node("function", dst["function"], *self.place("function", dst["function"], (dst["account"], dst["region"])))
        kind, _, via = src["via"].partition(":")
        through = dst.get("through")
        if kind == "topic":
            topic = self.node("topic", via, *self.place("topic", via, (src["account"], src["region"])))
            self.edge(producer, topic, "publish", sc["name"], sent, verdict, label)
            if not through:
                return self.edge(topic, function, "invoke", sc["name"], sent, verdict, label)
            queue = self.node("queue", through, *self.place("queue", through, (dst["account"], dst["region"])))
            self.edge(topic, queue, "deliver", sc["name"], sent, verdict, label)
        else:
            queue = self.node("queue", via, *self.place("queue", via, (dst["account"], dst["region"])))
            self.edge(producer, queue, "send", sc["name"], sent, verdict, label)
        return self.edge(queue, function, "poll", sc["name"], sent, verdict, label)

    def _to_queue(self, sc: dict, p: dict, producer: str, verdict: str, label: str) -> Edge:
        src, dst, counts = p["from"], p["to"], p.get("counts", {})
        sent, received = counts.get("sent", 0), counts.get("received", 0)
        queue = self.node("queue", dst["queue"], *self.place("queue", dst["queue"], (dst["account"], dst["region"])))
        kind, _, via = src["via"].partition(":")
        failing = dst.get("on_failure_of")
        if kind == "topic" and failing:  # Lambda's records of the function's failed invocations
            topic = self.node("topic", via, *self.place("topic", via, (src["account"], src["region"])))
            function = self.node("function", failing, *self.place("function", failing, (dst["account"], dst["region"])))
            self.edge(producer, topic, "publish", sc["name"], sent, verdict, label)
            self.edge(topic, function, "invoke", sc["name"], sent, verdict, label)
            last = self.edge(function, queue, "on_failure", sc["name"], sent, verdict, label)
        elif kind == "topic":
            topic = self.node("topic", via, *self.place("topic", via, (src["account"], src["region"])))
            self.edge(producer, topic, "publish", sc["name"], sent, verdict, label)
            last = self.edge(topic, queue, "deliver", sc["name"], sent, verdict, label)
        elif via != dst["queue"]:  # a dead-letter path: sent to ``via``, redriven into the path's queue
            source = self.node("queue", via, *self.place("queue", via, (dst["account"], dst["region"])))
            first = self.edge(producer, source, "send", sc["name"], sent, verdict, label)
            first.received = (first.received or 0) + received  # what reached the DLQ was in ``via`` first
            last = self.edge(source, queue, "redrive", sc["name"], sent, verdict, label)
        else:
            last = self.edge(producer, queue, "send", sc["name"], sent, verdict, label)
        return last


def delivery_graph(data: dict) -> Graph:
    """Every delivery path of the run's scenarios, merged into one graph."""
    builder = _Builder(data)
    for sc in data["scenarios"]:
        for p in sc["paths"]:
            builder.add(sc, p)
    return builder.graph


def _text(value: str) -> str:
    return value.replace('"', "#quot;")




def node_text(node: Node) -> str:
    return "producer" if node.kind == "producer" else f"{node.kind} {node.name}"


def mermaid(graph: Graph) -> str:
    """The graph as a Mermaid flowchart: accounts and regions as nested subgraphs, one edge per
    distinct hop, coloured by its verdict with ``linkStyle`` (indices in edge order)."""
    lines = ["flowchart LR"]
    look = looks()
    for a, (account, regions) in enumerate(graph.groups().items()):
        lines.append(f'  subgraph acc{a}["account {_text(account)}"]')
        for r, (region, nodes) in enumerate(regions.items()):
            lines.append(f'    subgraph acc{a}_r{r}["{_text(account)} · {_text(region)}"]')
            lines += [f"      {n.id}{look[n.kind].shape.format(_text(node_text(n)))}" for n in nodes]
            lines.append("    end")
        lines.append("  end")
    for e in graph.edges:
        arrow = "-.->" if e.kind in DASHED else "-->"
        lines.append(f'  {e.source} {arrow}|"{_text(e.label)}"| {e.target}')
    for kind, shown in look.items():
        members = [n.id for n in graph.nodes.values() if n.kind == kind]
        if members:
            lines += [f"  classDef {kind} fill:{shown.fill},stroke:{shown.stroke}", f"  class {','.join(members)} {kind}"]
    for verdict in (PASSED, ERROR, FAILED):
        indices = [str(i) for i, e in enumerate(graph.edges) if e.verdict == verdict]
        if indices:
            lines.append(f"  linkStyle {','.join(indices)} stroke:{COLOUR[verdict]},stroke-width:2px,color:{COLOUR[verdict]}")
    return "\n".join(lines)


def mermaid_markdown(data: dict) -> list[str]:
    """The diagram as report.md's opening block (with its legend), or one line when nothing was sent."""
    graph = delivery_graph(data)
    if not graph.edges:
        return ["_No delivery paths in this run: nothing to draw._", ""]
    return ["```mermaid", mermaid(graph), "```", "",
            "Edges: green ✓ every scenario on it passed, red ✗ one failed, amber ! one could not finish; "
            "dashed: payloads through S3. Labels: messages received/sent.", ""]
