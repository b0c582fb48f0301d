"""The delivery-path diagram on hand-written report.json data: direct sends, an unfinished scenario,
two scenarios sharing an edge, odd names — and the run without paths. Mermaid's own parser
(tests/report/mermaid) judges the syntax; the structural reader of tests/report judges the content."""

from __future__ import annotations

from harness.report.diagram import COLOUR, delivery_graph, mermaid, mermaid_markdown
from harness.report.markdown import markdown_report
from harness.report.svg_diagram import diagram_svg
from tests.report import mermaid_oracle
from tests.report.test_mermaid import mermaid_block, parse_flowchart


def _path(frm: str, via: str, to: str, queue: str, sent: int, received: int, buckets: dict | None = None) -> dict:
    fa, fr = frm.split("/")
    ta, tr = to.split("/")
    return {"from": {"account": fa, "region": fr, "via": via}, "to": {"account": ta, "region": tr, "queue": queue},
            "label": f"{frm} {via} → {to} {queue}", "counts": {"sent": sent, "received": received, "lost": sent - received},
            "latency_ms": {"count": 0}, "distribution_ms": [],
            "carried": {"inline": sent - sum((buckets or {}).values()), "s3": sum((buckets or {}).values()), "buckets": buckets or {}}}


DATA = {
    "run_id": "r1", "status": "failed", "target": "localstack", "topology": "t", "duration_s": 1.0,
    "totals": {"scenarios": 3, "passed": 1, "failed": 1, "errors": 1},
    "resources": {"topics": {"orders.fifo": {"account": "Hub", "region": "eu-west-1", "name": "hx-r1-orders"}},
                  "queues": {}, "buckets": {"central": {"account": "Store", "region": "us-east-1", "name": "hx-r1-central-4"}}},
    "scenarios": [
        {"name": "direct", "status": "passed", "failures": [], "paths": [
            _path("A/us-east-1", "queue:q-1", "B/eu-west-1", "q-1", 4, 4, {"hx-r1-central-4": 2})]},
        {"name": "fifo-late", "status": "failed", "failures": ['q "2": 1 messages arrived later than 1s'], "paths": [
            _path("A/us-east-1", "topic:orders.fifo", "B/eu-west-1", 'q "2"', 3, 3)]},
        {"name": "dead-letters", "status": "passed", "failures": [], "paths": [
            _path("A/us-east-1", "queue:q-1", "B/eu-west-1", "q-1-dlq", 1, 1)]},
        {"name": "cut-short", "status": "error", "failures": ["AWS call failed: boom"], "paths": [
            _path("A/us-east-1", "queue:q-1", "B/eu-west-1", "q-1", 2, 1)]},
    ],
}


def test_direct_sends_errors_and_shared_edges() -> None:
    chart = parse_flowchart(mermaid(delivery_graph(DATA)))
    producer, q1 = chart.node("producer"), chart.node("queue q-1")
    index, arrow, label = chart.edge(producer, q1)
    assert arrow == "-->" and label == "6/7 !"  # three scenarios on one edge; the unfinished one wins over passed
    assert chart.colours[index] == COLOUR["error"]
    topic = chart.node("topic orders.fifo")
    assert chart.nodes[topic][1] == ["account Hub", "Hub · eu-west-1"]  # placed where the topic lives, not at the sender
    quoted = chart.node("queue q #quot;2#quot;")
    assert chart.colours[chart.edge(topic, quoted)[0]] == COLOUR["failed"]
    bucket = chart.node("bucket central")
    assert chart.nodes[bucket][1] == ["account Store", "Store · us-east-1"]
    assert chart.edge(producer, bucket)[2] == "2 via S3 ✓" and chart.edge(bucket, q1)[1] == "-.->"
    # a dead-letter path: sent to q-1, redriven into its DLQ — not drawn as a send into the DLQ
    dlq = chart.node("queue q-1-dlq")
    assert chart.edge(q1, dlq)[2] == "1/1 ✓"
    assert not [e for e in chart.edges if (e[0], e[3]) == (producer, dlq)]
    assert list(chart.nodes[producer][1]) == ["account A", "A · us-east-1"] and next(iter(chart.nodes)) == producer  # accounts by name


def test_mermaid_parses_it_and_the_svg_draws_every_edge() -> None:
    [result] = mermaid_oracle.parse([mermaid(delivery_graph(DATA))])
    assert result == {"ok": True, "type": "flowchart-v2"}, result
    graph = delivery_graph(DATA)
    assert diagram_svg(graph).count("marker-end=") == len(graph.edges) == 6


def test_a_run_without_paths_says_so_instead_of_an_empty_diagram() -> None:
    empty = {**DATA, "scenarios": [{"name": "denied", "status": "failed", "failures": ["x"], "paths": []}]}
    assert mermaid_markdown(empty)[0].startswith("_No delivery paths")
    assert "```mermaid" not in markdown_report({**empty, "totals": DATA["totals"]})
    assert mermaid_block(markdown_report(DATA))  # and with paths, the block opens the report


def test_the_paths_own_verdict_decides_its_colour_and_older_reports_fall_back_to_the_failures() -> None:
    from harness.report.diagram import path_verdict

    sc = {"status": "failed", "failures": ["b-eu: 1 messages arrived later than 1s"]}
    path = _path("A/us-east-1", "topic:orders", "B/eu-west-1", "b-eu", 2, 2)
    assert path_verdict(sc, path) == "failed"  # no 'failed' field: the failure names the queue
    assert path_verdict(sc, {**path, "failed": False}) == "passed"  # e.g. another send's path to b-eu failed
    assert path_verdict(sc, {**path, "failed": True}) == "failed"
    assert path_verdict({**sc, "status": "error"}, {**path, "failed": False}) == "error"


def _to_function(frm: str, via: str, to: str, function: str, sent: int, received: int, through: str = "", buckets: dict | None = None) -> dict:
    path = _path(frm, via, to, function, sent, received, buckets)
    path["to"] = {k: v for k, v in path["to"].items() if k != "queue"} | {"kind": "function", "function": function, **({"through": through} if through else {})}
    return path


FUNCTIONS = {**DATA, "resources": {"functions": {"c-fn": {"account": "C", "region": "us-east-1", "name": "hx-r1-c-fn"}}},
             "scenarios": [{"name": "to-functions", "status": "passed", "failures": [], "paths": [
                 _to_function("A/us-east-1", "topic:orders", "C/us-east-1", "c-fn", 4, 4, buckets={"hx-r1-central-4": 2}),
                 _to_function("A/us-east-1", "topic:orders", "B/eu-west-1", "b-fn", 4, 3, through="b-fn-in"),
                 _to_function("B/eu-west-1", "queue:b-fn-in", "B/eu-west-1", "b-fn", 2, 2, through="b-fn-in")]}]}


def test_paths_to_functions_end_in_function_nodes() -> None:
    chart = parse_flowchart(mermaid(delivery_graph(FUNCTIONS)))
    topic, c, b, q = chart.node("topic orders"), chart.node("function c-fn"), chart.node("function b-fn"), chart.node("queue b-fn-in")
    assert chart.nodes[c][1] == ["account C", "C · us-east-1"]
    assert chart.edge(topic, c)[2] == "4/4 ✓"  # SNS invokes it
    assert chart.edge(topic, q)[2] == "4 sent ✓" and chart.edge(q, b)[2] == "5/6 ✓"  # the mapping polls the queue, both sends
    assert chart.edge(chart.node("bucket hx-r1-central-4"), c)[1] == "-.->"  # payloads read by the function
    [result] = mermaid_oracle.parse([mermaid(delivery_graph(FUNCTIONS))])
    assert result == {"ok": True, "type": "flowchart-v2"}, result
    svg = diagram_svg(delivery_graph(FUNCTIONS))
    assert "function c-fn" in svg and svg.count("marker-end=") == len(delivery_graph(FUNCTIONS).edges)


def test_a_report_written_before_functions_is_read_as_before() -> None:
    """report.json without to.kind: every path ends in a queue (harness compare reads old reports)."""
    from harness.report.diagram import endpoint, path_verdict

    old = DATA["scenarios"][0]["paths"][0]
    assert "kind" not in old["to"] and endpoint(old["to"]) == ("queue", "q-1")
    assert path_verdict(DATA["scenarios"][0], old) == "passed"
    assert "per hop" in markdown_report({**FUNCTIONS, "meta": {}})


def test_an_on_failure_destination_is_drawn_after_the_function() -> None:
    """Lambda's records of c-fn's failed invocations: topic → function → its on-failure queue, not a delivery from the topic."""
    record = _path("A/us-east-1", "topic:orders", "C/us-east-1", "c-fn-failed", 3, 3)
    record["to"]["on_failure_of"] = "c-fn"
    data = {**DATA, "scenarios": [{"name": "on-failure", "status": "passed", "failures": [], "paths": [record]}]}
    chart = parse_flowchart(mermaid(delivery_graph(data)))
    topic, fn, queue = chart.node("topic orders"), chart.node("function c-fn"), chart.node("queue c-fn-failed")
    assert chart.edge(topic, fn) and chart.edge(fn, queue)[2] == "3/3 ✓"
    assert not [e for e in delivery_graph(data).edges if e.kind == "deliver"], "SNS delivered nothing to the destination"
    [result] = mermaid_oracle.parse([mermaid(delivery_graph(data))])
    assert result == {"ok": True, "type": "flowchart-v2"}, result
    assert diagram_svg(delivery_graph(data)).count("marker-end=") == len(delivery_graph(data).edges)
