"""How reports draw and list a bucket."""

from __future__ import annotations

from harness.report.kind import NodeLook, ReportKind


class BucketReport(ReportKind):
    kind = "bucket"
    group = "buckets"
    look = NodeLook('[/"{}"\\]', "#fbefff", "#8250df", "middle")


PART = BucketReport()
