"""How reports list a KMS key (by its alias; keys are not nodes of the delivery diagram)."""

from __future__ import annotations

from harness.report.kind import ReportKind


class KeyReport(ReportKind):
    kind = "key"
    group = "keys"


PART = KeyReport()
