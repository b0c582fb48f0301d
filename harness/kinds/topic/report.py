"""How reports draw and list a topic."""

from __future__ import annotations

from harness.report.kind import NodeLook, ReportKind


class TopicReport(ReportKind):
    kind = "topic"
    group = "topics"
    look = NodeLook('{{{{"{}"}}}}', "#fff8c5", "#9a6700", "middle")


PART = TopicReport()
