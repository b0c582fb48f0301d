"""How reports list a subscription: the topic and the queue or function it joins (the diagram draws
it as the topic → queue or topic → function edge of the paths it carries)."""

from __future__ import annotations

from typing import Any

from harness.report.kind import ReportKind


class SubscriptionReport(ReportKind):
    kind = "subscription"
    group = "subscriptions"

    def describe(self, name: str, entry: Any) -> dict[str, Any]:
        endpoint = {"function": entry.function} if entry.function else {"queue": entry.queue}
        return {"topic": entry.topic, **endpoint, "raw_delivery": entry.raw_delivery, "created_by": entry.created_by}


PART = SubscriptionReport()
