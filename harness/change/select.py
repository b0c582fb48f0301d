"""Which surviving paths the probe covers, with what attributes, offloading through which bucket.

A path through a topic carries a filter policy before and after the change; probe messages must
pass both, or the probe would count messages as lost that the filter drops by design. For filter
policies of exact string matches the probe takes, per attribute, a value both allow; a path whose
filters admit no common message (or use operators the probe does not model) is left unprobed,
with the reason. Offloads go through a payload bucket in both topologies that the sender owns and
the receiving account may read before the change. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness.change.diff import DeliveryPath
from harness.change.probe import ProbedPath
from harness.topology.model import Topology
from harness.topology.passing import passing_attributes

__all__ = ["passing_attributes", "payload_bucket", "probed_paths"]  # passing_attributes: moved to topology


def payload_bucket(path: DeliveryPath, base: Topology, new: Topology) -> str | None:
    for name, bucket in sorted(base.buckets.items()):
        if name not in new.buckets or bucket.account != path.sender or new.buckets[name].account != path.sender:
            continue
        if path.to_account == bucket.account or path.to_account in bucket.readers:
            return name
    return None


def probed_paths(
    kept: list[DeliveryPath], base_paths: Mapping[tuple[str, str, str], DeliveryPath], base: Topology, new: Topology
) -> tuple[list[ProbedPath], list[str]]:
    """The probe's paths (numbered) and a line for each kept path it cannot cover."""
    probed: list[ProbedPath] = []
    skipped: list[str] = []
    for path in kept:
        attributes = passing_attributes(base_paths[path.key].filter_policy, path.filter_policy)
        if attributes is None:
            skipped.append(f"{path.label}: no message passes its filter policy both before and after the change")
            continue
        probed.append(ProbedPath(len(probed), path, attributes, payload_bucket(path, base, new)))
    return probed, skipped
