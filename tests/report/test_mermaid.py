"""Issue 10 item 9: report.md opens with a Mermaid diagram of the run's delivery paths — accounts
and regions as nested subgraphs, producers → topics → queues, payload buckets — each edge coloured
by its verdict; report.html shows the same graph as inline SVG and every path's latency
distribution on one shared axis. Checked on a real LocalStack run, with a structural parser here
and mermaid's own parser (tests/report/mermaid) as the oracle of the syntax."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

import pytest

from harness.report.diagram import COLOUR
from tests.report import mermaid_oracle
from tests.report.conftest import FinishedRun

pytestmark = pytest.mark.localstack

NODE = re.compile(r'^(?P<id>[A-Za-z0-9_]+)(?P<shape>\(\["|\{\{"|\[\("|\[/"|\[\[")(?P<label>[^"]*)"(?:\]\)|\}\}|\)\]|\\\]|\]\])$')
EDGE = re.compile(r'^(?P<src>[A-Za-z0-9_]+) (?P<arrow>-->|-\.->)\|"(?P<label>[^"]*)"\| (?P<dst>[A-Za-z0-9_]+)$')
SUBGRAPH = re.compile(r'^subgraph (?P<id>[A-Za-z0-9_]+)\["(?P<label>[^"]*)"\]$')
LINKSTYLE = re.compile(r"^linkStyle (?P<indices>[0-9,]+) (?P<style>\S+)$")


@dataclass
class Flowchart:
    nodes: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # id -> (label, enclosing subgraph labels)
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)  # (src, arrow, label, dst)
    colours: dict[int, str] = field(default_factory=dict)  # edge index -> stroke colour

    def node(self, label: str) -> str:
        [found] = [i for i, (lbl, _) in self.nodes.items() if lbl == label]
        return found

    def edge(self, src: str, dst: str) -> tuple[int, str, str]:
        [found] = [(i, arrow, label) for i, (s, arrow, label, d) in enumerate(self.edges) if (s, d) == (src, dst)]
        return found


def parse_flowchart(text: str) -> Flowchart:
    """A strict reader of the subset report.md writes; any other line fails the test."""
    lines = [line.strip() for line in text.splitlines()]
    assert lines[0] == "flowchart LR", lines[0]
    chart, stack = Flowchart(), []
    for line in lines[1:]:
        if m := SUBGRAPH.match(line):
            stack.append(m["label"])
        elif line == "end":
            stack.pop()
        elif m := NODE.match(line):
            assert m["id"] not in chart.nodes, f"node {m['id']} defined twice"
            chart.nodes[m["id"]] = (m["label"], list(stack))
        elif m := EDGE.match(line):
            assert m["src"] in chart.nodes and m["dst"] in chart.nodes, line
            chart.edges.append((m["src"], m["arrow"], m["label"], m["dst"]))
        elif m := LINKSTYLE.match(line):
            stroke = dict(kv.split(":", 1) for kv in m["style"].split(","))["stroke"]
            for i in map(int, m["indices"].split(",")):
                assert i not in chart.colours and i < len(chart.edges), f"linkStyle {i}: twice or no such edge"
                chart.colours[i] = stroke
        elif line.startswith(("classDef ", "class ")):
            continue
        else:
            raise AssertionError(f"unexpected Mermaid line: {line!r}")
    assert not stack, f"unclosed subgraphs {stack}"
    assert sorted(chart.colours) == list(range(len(chart.edges))), "every edge gets exactly one linkStyle"
    return chart


def mermaid_block(md: str) -> str:
    lines = md.splitlines()
    start = lines.index("```mermaid")
    opening = [line for line in lines[1:start] if line.strip()]
    assert opening and opening[0].startswith("**Run "), "report.md must open with the verdict (issue 20), then the diagram"
    return "\n".join(lines[start + 1 : lines.index("```", start + 1)])


def test_report_md_opens_with_every_path_of_the_run(finished_run: FinishedRun) -> None:
    chart = parse_flowchart(mermaid_block(finished_run.files["markdown"].read_text()))
    data, manifest = finished_run.data, finished_run.manifest
    checked = 0
    for sc in data["scenarios"]:
        for p in sc["paths"]:
            src, dst = p["from"], p["to"]
            assert p["failed"] is (sc["status"] != "passed")  # the runner's per-path verdict
            colour = COLOUR["failed" if p["failed"] else "passed"]
            producer = chart.node("producer")
            assert chart.nodes[producer][1] == [f"account {src['account']}", f"{src['account']} · {src['region']}"]
            queue = chart.node(f"queue {dst['queue']}")
            assert chart.nodes[queue][1] == [f"account {dst['account']}", f"{dst['account']} · {dst['region']}"]
            kind, _, via = src["via"].partition(":")
            assert kind == "topic"
            topic = chart.node(f"topic {via}")
            home = manifest.topics[via]
            assert chart.nodes[topic][1] == [f"account {home.account}", f"{home.account} · {home.region}"]
            chart.edge(producer, topic)
            index, arrow, label = chart.edge(topic, queue)
            assert arrow == "-->" and label.startswith(f"{p['counts']['received']}/{p['counts']['sent']} ")
            assert chart.colours[index] == colour, (sc["name"], p["label"], chart.colours[index])
            for physical in p["carried"]["buckets"]:
                [logical] = [name for name, e in manifest.buckets.items() if e.name == physical]
                bucket = chart.node(f"bucket {logical}")
                assert chart.edge(producer, bucket)[1] == "-.->"
                index, arrow, _ = chart.edge(bucket, queue)
                assert arrow == "-.->" and chart.colours[index] == colour
            checked += 1
    assert checked == 3  # b-eu and b-ap of mixed-carriers, c-us of missed-filter
    # the failed path is red, the publish that also reached good queues is not blamed for it
    assert chart.colours[chart.edge(chart.node("topic orders"), chart.node("queue c-us"))[0]] == COLOUR["failed"]


def test_mermaid_itself_parses_the_diagram_and_rejects_a_broken_one(finished_run: FinishedRun) -> None:
    block = mermaid_block(finished_run.files["markdown"].read_text())
    broken_style = block + "\n  linkStyle 99 stroke:#000"
    broken_edge = block.replace(" -->|", " -->>|", 1)
    good, bad_style, bad_edge = mermaid_oracle.parse([block, broken_style, broken_edge])
    assert good == {"ok": True, "type": "flowchart-v2"}, good
    assert not bad_style["ok"] and not bad_edge["ok"], (bad_style, bad_edge)


def test_report_html_draws_the_same_graph_and_one_latency_axis(finished_run: FinishedRun) -> None:
    html = finished_run.files["html"].read_text()
    assert "<script" not in html and not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # works offline
    chart = parse_flowchart(mermaid_block(finished_run.files["markdown"].read_text()))
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    diagram = ET.fromstring(svgs[0])
    ns = "{http://www.w3.org/2000/svg}"
    texts = {t.text for t in diagram.iter(f"{ns}text")}
    assert {label for label, _ in chart.nodes.values()} <= texts
    edge_paths = [p for p in diagram.iter(f"{ns}path") if p.get("marker-end")]
    assert len(edge_paths) == len(chart.edges)
    assert sorted(p.get("stroke") for p in edge_paths) == sorted(chart.colours.values())
    overlay = ET.fromstring(svgs[1])
    assert overlay.get("aria-label") == "latency distributions of every path on one axis"
    curves = [line.find(f"{ns}title").text for line in overlay.iter(f"{ns}polyline")]
    with_samples = [f"{sc['name']}: {p['label']}" for sc in finished_run.data["scenarios"] for p in sc["paths"] if p["latency_ms"]["count"]]
    assert curves == with_samples and len(curves) == 2
