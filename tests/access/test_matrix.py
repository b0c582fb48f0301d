"""The access matrix of the reference topology under its module policies."""

from __future__ import annotations

from harness.access.deployment import Deployment
from harness.access.evaluate import Outcome
from harness.access.matrix import access_matrix
from harness.access.static import rendered_policies
from harness.paths import REFERENCE_TOPOLOGY
from harness.topology.loader import load_topology

OUTSIDER = "444444444444"


def test_reference_matrix() -> None:
    topology = load_topology(REFERENCE_TOPOLOGY)
    m = access_matrix(Deployment.from_topology(topology), rendered_policies(topology), outsiders=[OUTSIDER])
    assert m.accounts == ("A", "B", "C", OUTSIDER)
    ok = lambda *key: m.cell(*key).decision.outcome is Outcome.ALLOWED  # noqa: E731
    assert ok("queue", "b-eu", "send", "A") and ok("queue", "b-eu", "send", "B")
    assert not ok("queue", "b-eu", "send", "C") and not ok("queue", "b-eu", "send", OUTSIDER)
    assert ok("topic", "orders", "subscribe", "B") and not ok("topic", "orders", "publish", "B")
    assert ok("bucket", "payloads", "read", "C") and ok("bucket", "payloads", "delete", "B")
    assert not ok("bucket", "payloads", "put", "B") and not ok("bucket", "payloads", "read", OUTSIDER)
    reader = m.cell("bucket", "payloads", "read", "C").decision
    assert reader.statement is not None and reader.statement.sid == "AllowReaderAccountsToGetPayloads"

    delivered = {(d.topic, d.queue) for d in m.deliveries if d.decision.allowed}
    assert delivered == {("orders", "b-eu"), ("orders", "b-sub-dlq"), ("orders", "b-ap"), ("orders", "c-us"), ("orders-fifo", "b-eu-fifo"),
                         ("orders", "b-fn-in"), ("orders", "c-fn")}  # the last: SNS invoking function c-fn

    table = m.table()
    header, *rows = table.splitlines()
    assert header.split() == ["resource", "may", "A", "B", "C", OUTSIDER]
    assert "queue b-eu" in table and "SNS may deliver: orders -> b-eu" in table
    row = next(r for r in rows if r.startswith("bucket payloads") and " read " in r)
    assert row.split()[-4:] == ["yes", "yes", "yes", "-"]
    doc = m.as_dict()
    assert len(doc["cells"]) == len(m.cells) and doc["deliveries"][0]["verdict"] in {"allowed", "implicit_deny"}
