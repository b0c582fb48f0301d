"""The objectives of one receiving path, from its judged counts and figures (pure, no I/O).

What an ``expect`` promises for the messages of one path, each as an :class:`Objective`:
delivered (every message within ``within``), intact, FIFO order, no duplicates (when forbidden),
each latency percentile, each per-hop percentile and the delivered throughput (when stated).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from harness.scenario.judge import human
from harness.scenario.judge.measure import PathStats, summarize
from harness.scenario.judge.objectives import MET, MISSED, Objective, at_least, at_most

if TYPE_CHECKING:
    from harness.scenario.judge.verdicts import PathRules


def path_objectives(rules: PathRules, stats: PathStats, out_of_order: Sequence[str | None], sent: int) -> list[Objective]:
    if not rules.report_lost:  # a dead-letter path: its check states its own objectives
        return []
    where, line, c = stats.key.label, rules.line, stats.counts
    on_time = c["received"] - c["late"]
    within = f" within {human.duration(rules.late_after)}" if rules.late_after is not None else ""
    out = [
        Objective(f"delivered{within}", where, f"all {sent}", f"{on_time} of {sent}", MET if on_time == sent else MISSED,
                  unit="messages", bound_value=sent, measured_value=on_time, line=line)
    ]
    if rules.intact:
        intact = c["intact"]
        out.append(Objective("intact", where, f"all {c['received']} received", f"{intact} of {c['received']}",
                             MET if intact == c["received"] else MISSED, unit="messages", bound_value=c["received"], measured_value=intact, line=line))
    if rules.ordered:
        measured = "in order" if not out_of_order else "out of order in group " + ", ".join(str(g) for g in out_of_order[:3])
        out.append(Objective("FIFO order per group", where, "in order", measured, MET if not out_of_order else MISSED, line=line))
    if not rules.duplicates_allowed:
        out.append(at_most("duplicates", where, c["duplicate"], 0, "", line=line))
    pct = stats.percentiles_ms()
    for name, limit in rules.objectives.items():
        value = pct.get(name)
        out.append(at_most(f"latency {name}", where, float(value) if isinstance(value, (int, float)) else None, limit, "ms", line=line))
    for hop, limits in rules.hop_limits.items():
        figures = summarize(stats.hops[hop]) if hop in stats.hops else {}
        for name, limit in limits.items():
            value = figures.get(name)
            out.append(at_most(f"hop {hop} {name}", where, float(value) if isinstance(value, (int, float)) else None, limit, "ms", line=line,
                               reason="this path has no server timestamps for that hop"))
    if rules.throughput_min is not None:
        out.append(at_least("throughput", where, stats.delivered_rate, rules.throughput_min, "msg/s", rules.throughput_label, line=line))
    return out
