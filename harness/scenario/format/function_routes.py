"""Which sends reach a Lambda function, and why a function under ``expect`` could not receive them.

A send reaches a function when SNS invokes it (a topic subscribed to the function) or when its event
source mapping polls a queue the send reaches (a direct send to that queue, or a topic subscribed to
it); each is its own route, ``(send index, the queue it comes through or "")``.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.scenario.format.attributes import numeric_filter_on_string
from harness.scenario.format.model import Send
from harness.scenario.format.sends import subscribed
from harness.topology.model import Topology
from harness.topology.sourced_yaml import Node, join_names, quote, suggest


def function_routes(topo: Topology, sends: Sequence[Send], function: str) -> list[tuple[int, str]]:
    """(send index, the queue it comes through or "") for every send whose messages reach
    ``function``: SNS invokes it (a topic subscribed to it) or its mapping polls a queue they reach."""
    fn = topo.functions[function]
    invoking = set(topo.topics_invoking(function))
    subs = subscribed(topo)
    routes = []
    for i, s in enumerate(sends):
        if s.topic is not None and s.topic in invoking:
            routes.append((i, ""))
        if fn.queue and (s.queue == fn.queue or (s.topic is not None and fn.queue in subs.get(s.topic, set()))):
            routes.append((i, fn.queue))
    return routes


def function_ref(topo: Topology, node: Node) -> str | None:
    """A function of the topology, by logical name."""
    name = node.string(what="function name")
    if name is None:
        return None
    if name not in topo.functions:
        node.problem(
            f"no function {quote(name)} in topology {quote(topo.name)}; use one of "
            f"{join_names(topo.functions) or '(none: define one under functions:)'}{suggest(name, topo.functions)}"
        )
        return None
    return name


def function_expect_problem(topo: Topology, sends: Sequence[Send], function: str) -> str | None:
    """Why ``function`` under ``expect`` could never receive the sends' messages, or would get each twice."""
    routes = function_routes(topo, sends, function)
    if not routes:
        fn = topo.functions[function]
        feeds = ", ".join([f"topic {t}" for t in topo.topics_invoking(function)] + ([f"queue {fn.queue}"] if fn.queue else [])) or "nothing"
        return f"no send reaches function {function} (it is fed by {feeds}); subscribe it to the topic the scenario sends to, or send to its queue"
    twice = sorted({i for i, _ in routes if sum(1 for j, _ in routes if j == i) > 1})
    if twice:
        return (f"send {twice[0]} reaches function {function} both through SNS and through queue {topo.functions[function].queue}, "
                "so each message would arrive twice; remove one of the two feeds from the topology")
    for i, through in routes:
        send = sends[i]
        if through or send.topic is None:
            continue
        key = numeric_filter_on_string(topo, send.topic, function, send.attributes)
        if key:
            return (f"the subscription of {function} filters {key} numerically, and on AWS a numeric filter matches only "
                    f"Number attributes, so it never receives these; send {key}: {{type: Number, value: ...}}")
    return None
