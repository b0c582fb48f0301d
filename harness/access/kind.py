"""What a resource kind provides to the access checks (its ``access.py``).

Per kind: where an entry is (its ARN from a topology alone, or from the run record), the policy its
Terraform module writes (a reproduction, statement for statement: see each kind's
``rendered_policy``), how that policy is read back from the applied resource, the accesses the
topology declares through it (each must be authorised by the policies), and what the access matrix
asks of it. A kind whose entries act themselves (a function's execution role) also says which
identity policy its module gives that principal and how it is read back. The checks (:mod:`.static`, :mod:`.deployment`, :mod:`.matrix`, :mod:`.readback`)
iterate :func:`access_kinds` and never branch on a kind.
"""

from __future__ import annotations

from abc import ABC
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from harness import kinds as registry
from harness.access.evaluate import Request
from harness.access.paths import Hop
from harness.access.policy import AccessError, Policy
from harness.provision.clients import ClientFor
from harness.topology.model import Topology
from harness.topology.regions import partition_of

if TYPE_CHECKING:
    from harness.access.deployment import Deployment

Document = dict[str, Any]


@dataclass(frozen=True)
class Placed:
    """One entry of a deployment: where it is and what it is called."""

    name: str  # logical
    arn: str
    account_id: str
    region: str
    url: str = ""  # queues
    kms_key: str = ""  # logical name of the key that encrypts it ("" for none)
    principal: str = ""  # the IAM principal it acts as (a function's execution role ARN); "" for none


def logical_arn(service: str, region: str, account_id: str, resource: str) -> str:
    """An ARN built from logical names (who may do what does not depend on the physical names)."""
    return f"arn:{partition_of(region) or 'aws'}:{service}:{region}:{account_id}:{resource}"


class AccessKind(ABC):
    """One kind's part of the access checks. A kind without a resource policy of its own (a
    subscription) only declares hops; the defaults say "nothing"."""

    kind: ClassVar[str]
    group: ClassVar[str]
    policy_name: ClassVar[str | None] = None  # "queue policy": the policy this kind's resources carry
    capabilities: ClassVar[tuple[tuple[str, str], ...]] = ()  # access matrix rows: (capability, action)

    def place(self, topology: Topology, name: str, spec: Any) -> Placed | None:
        """Where ``spec`` is, with logical names standing in for physical ones; None: not placed."""
        return None

    def place_applied(self, name: str, entry: Any) -> Placed:
        """Where an applied entry of the run record is."""
        return Placed(name, entry.arn, entry.account_id, entry.region, getattr(entry, "url", "") or "", getattr(entry, "kms_key", "") or "",
                      getattr(entry, "role_arn", "") or "")

    def rendered_policy(self, topology: Topology, name: str, spec: Any, where: Deployment) -> Document | None:
        """The policy this kind's Terraform module writes for ``spec`` (None: it writes none)."""
        return None

    def read_policy(self, placed: Placed, client_for: ClientFor) -> Policy:
        """The policy the applied resource carries now."""
        raise AccessError(f"a {self.kind} has no policy of its own to read")

    def rendered_identity(self, topology: Topology, name: str, spec: Any, where: Deployment) -> Document | None:
        """The identity policy this kind's module gives the entry's principal (None: it has none)."""
        return None

    def read_identity(self, placed: Placed, client_for: ClientFor) -> list[Policy]:
        """The identity policies the entry's principal carries now (none by default)."""
        return []

    def declared_hops(self, topology: Topology, name: str, spec: Any, dep: Deployment) -> list[tuple[str, Hop]]:
        """(topology field, hop) for every access the topology declares through ``spec``."""
        return []

    def matrix_request(self, dep: Deployment, name: str, action: str, account_id: str) -> tuple[Request, str]:
        """The request of one access-matrix cell and the ARN of the policy that decides it."""
        placed = dep.resources[self.group][name]
        ctx = {"aws:SecureTransport": "true", "aws:PrincipalAccount": account_id}
        return Request(account_id, action, placed.arn, context=ctx), placed.arn


def access_kinds() -> list[AccessKind]:
    """The registered kinds' access parts, in registry order."""
    # A kind's access.py defines PART as its AccessKind (the registry's contract, harness/kinds).
    return [cast(AccessKind, p) for _, p in registry.parts("access")]


def access_kind(name: str) -> AccessKind:
    for k in access_kinds():
        if k.kind == name:
            return k
    raise AccessError(f"unknown resource kind {name!r}; known: {', '.join(k.kind for k in access_kinds())}")
