"""How reports draw and list a function: a node of its own where its paths end (right of the
queues, which a mapping polls), and in report.json's ``resources`` where it lives, its execution
role, the queue it polls and its receipts queue."""

from __future__ import annotations

from typing import Any

from harness.report.kind import NodeLook, ReportKind


class FunctionReport(ReportKind):
    kind = "function"
    group = "functions"
    look = NodeLook('[["{}"]]', "#dafbe1", "#1a7f37", "consumer")

    def describe(self, name: str, entry: Any) -> dict[str, Any]:
        out = {"account": entry.account, "region": entry.region, "name": entry.name, "role": entry.role_arn, "receipts": entry.receipts_url}
        return {**out, "queue": entry.queue} if entry.queue else out


PART = FunctionReport()
