"""What a KMS key costs while a run holds it: the monthly fee, prorated per hour (its requests are
the callers' and cost little beside the messages)."""

from __future__ import annotations

from harness.kinds.key.spec import Key
from harness.scenario.cost import KindCost, LineItem, Prices
from harness.scenario.cost.prices import HOURS_PER_MONTH


class KeyCost(KindCost):
    kind = "key"
    group = "keys"

    def standing(self, name: str, spec: Key, prices: Prices, hours: float) -> list[LineItem]:
        months = hours / HOURS_PER_MONTH
        return [LineItem(f"KMS key {name} ({spec.account}/{spec.region})", months, "key-months", months * prices.kms_key_per_month)]


PART = KeyCost()
