"""How reports list a subscription: the topic and queue it joins (the diagram draws it as the
topic → queue edge of the paths it carries)."""

from __future__ import annotations

from typing import Any

from harness.report.kind import ReportKind


class SubscriptionReport(ReportKind):
    kind = "subscription"
    group = "subscriptions"

    def describe(self, name: str, entry: Any) -> dict[str, Any]:
        return {"topic": entry.topic, "queue": entry.queue, "raw_delivery": entry.raw_delivery, "created_by": entry.created_by}


PART = SubscriptionReport()
