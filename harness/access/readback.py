"""Read the policies of applied resources back from the service, through boto3 clients passed in.

What gets judged is what the queue, topic, bucket or key carries now — a policy edited by hand or
by another tool included — not what the topology file says. How one kind's policy is read is the
kind's own (``read_policy`` in ``harness/kinds/<kind>/access.py``); each reader takes a client for
the resource's own account and region. :func:`read_applied` reads a batch, asking
``client_for(service, account, region)`` for each client.

Also here: the small helpers the kinds' policy reproductions share (:func:`roots`,
:func:`distinct`) and :func:`error_code`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from botocore.exceptions import ClientError

from harness.access.conditions import split_arn
from harness.access.kind import Placed, access_kind
from harness.access.policy import AccessError, Policy
from harness.provision.clients import ClientFor


class ReadbackError(AccessError):
    """A policy could not be read from the applied resource."""


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def distinct(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def roots(account_ids: Sequence[str]) -> list[str]:
    """The account principals of a module policy (the modules write ``arn:aws:`` whatever the
    partition; mirrored as is)."""
    return [f"arn:aws:iam::{a}:root" for a in distinct(account_ids)]


@dataclass(frozen=True)
class AppliedResource:
    """One applied resource of a kind that carries a policy. ``url`` is the queue URL (queues only);
    a bucket needs its ``account`` and ``region`` (its ARN carries neither)."""

    kind: str  # a registered kind with a policy: queue | topic | bucket | key | ...
    arn: str
    url: str | None = None
    account: str | None = None
    region: str | None = None

    def placement(self) -> tuple[str, str]:
        parts = split_arn(self.arn)
        account = self.account or (parts[3] if parts else "")
        region = self.region or (parts[2] if parts else "")
        if not account or not region:
            raise ReadbackError(f"{self.kind} {self.arn}: give account= and region= (an S3 ARN carries neither)")
        return account, region


def read_policy(resource: AppliedResource, client_for: ClientFor) -> Policy:
    account, region = resource.placement()
    placed = Placed("", resource.arn, account, region, resource.url or "")
    return access_kind(resource.kind).read_policy(placed, client_for)


def read_applied(resources: Sequence[AppliedResource], client_for: ClientFor) -> dict[str, Policy]:
    """ARN → policy for every resource, ready for :class:`harness.access.verdicts.AppliedPolicies`."""
    return {r.arn: read_policy(r, client_for) for r in resources}
