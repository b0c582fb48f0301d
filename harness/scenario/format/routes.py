"""What will go through S3: per send of a scenario, which sizes go inline and which are offloaded,
to which bucket — what ``harness validate`` says beside each scenario.

The rule is the extended clients' (:func:`harness.payload.wire.is_large`): a message is offloaded
when its body and every attribute (the scenario's and the harness's correlation id) are strictly
more than the path's threshold (SNS 256 KiB through a topic, SQS 1 MiB straight to a queue), when
its payload is empty, or always with ``offload: always``. A size named after a limit
(``sns_limit+1``) is the whole message on the wire, so it is exact; a plain size within the
correlation id's few bytes of the limit is reported as ``either``.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.payload import wire
from harness.scenario.format.model import Scenario, Send, Size
from harness.scenario.format.sends import CORRELATION_ALLOWANCE
from harness.topology.model import Topology

INLINE, S3, EITHER = "inline", "s3", "either"
_CORRELATION_MIN = len(wire.CORRELATION_ATTRIBUTE) + len("String") + 1  # name, type and at least a character


@dataclass(frozen=True)
class SizeRoute:
    size: str  # as written: 5MiB, sns_limit+1, body
    bytes: int
    route: str  # INLINE, S3 or EITHER


@dataclass(frozen=True)
class SendRoute:
    field: str  # send, sends[1]
    origin: str  # A/us-east-1
    target: str  # topic orders, queue b-eu
    threshold: int  # bytes on the wire above which a message is offloaded
    sizes: tuple[SizeRoute, ...]
    bucket: str | None  # where offloaded payloads go (None: nothing is offloaded)
    bucket_at: str | None  # the bucket's account/region

    @property
    def offloads(self) -> bool:
        return any(s.route != INLINE for s in self.sizes)

    def line(self) -> str:
        """``send (A/us-east-1 → topic orders): 1KiB inline; 5MiB through S3 (bucket payloads, A/us-east-1)``."""
        words = {INLINE: "inline", S3: "through S3", EITHER: "inline or through S3 (within the correlation id's bytes of the limit)"}
        groups: dict[str, list[str]] = {}
        for s in self.sizes:
            groups.setdefault(s.route, []).append(s.size)
        parts = [f"{', '.join(dict.fromkeys(sizes))} {words[route]}" for route, sizes in groups.items()]
        where = f" (bucket {self.bucket}, {self.bucket_at})" if self.offloads and self.bucket else ""
        return f"{self.field} ({self.origin} → {self.target}): {'; '.join(parts)}{where}"

    def as_dict(self) -> dict[str, object]:
        return {
            "field": self.field, "from": self.origin, "to": self.target, "threshold": self.threshold,
            "bucket": self.bucket if self.offloads else None,
            "sizes": [{"size": s.size, "bytes": s.bytes, "route": s.route} for s in self.sizes],
        }


def size_route(send: Send, size: Size, threshold: int) -> str:
    """INLINE, S3 or EITHER for one size of ``send``."""
    attributes = wire.attributes_bytes({k: a.wire() for k, a in send.attributes.items()})
    if send.offload == "always":
        return S3
    if size.on_wire:  # body = the size less every attribute: exact on the wire
        return S3 if size.bytes > threshold or size.bytes <= attributes + _CORRELATION_MIN else INLINE
    if size.bytes == 0:  # SNS and SQS refuse empty bodies: the clients offload them
        return S3
    if size.bytes + attributes + _CORRELATION_MIN > threshold:
        return S3
    return INLINE if size.bytes + attributes + CORRELATION_ALLOWANCE <= threshold else EITHER


def send_routes(scenario: Scenario, topology: Topology) -> list[SendRoute]:
    """Each send's sizes and where they go, in file order (``send`` or ``sends[i]``)."""
    out = []
    sends = scenario.sends
    for index, send in enumerate(sends):
        threshold = wire.DEFAULT_SNS_THRESHOLD if send.topic else wire.DEFAULT_SQS_THRESHOLD
        bucket = topology.buckets.get(send.bucket) if send.bucket else None
        out.append(
            SendRoute(
                field="send" if len(sends) == 1 else f"sends[{index}]",
                origin=f"{send.account}/{send.region}",
                target=f"topic {send.topic}" if send.topic else f"queue {send.queue}",
                threshold=threshold,
                sizes=tuple(SizeRoute(s.text, s.bytes, size_route(send, s, threshold)) for s in send.sizes),
                bucket=send.bucket,
                bucket_at=f"{bucket.account}/{bucket.region}" if bucket else None,
            )
        )
    return out
