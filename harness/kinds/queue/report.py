"""How reports draw and list a queue."""

from __future__ import annotations

from harness.report.kind import NodeLook, ReportKind


class QueueReport(ReportKind):
    kind = "queue"
    group = "queues"
    look = NodeLook('[("{}")]', "#ddf4ff", "#0969da", "end")


PART = QueueReport()
