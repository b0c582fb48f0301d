"""Checks across sections of a topology file: how the resources that were read fit together.

Partitions of regions and role ARNs agree; each kind's own cross-checks run (dead-letter queues,
subscriptions, key grants: ``harness/kinds/<kind>/spec.py``); and every logical name maps
one-to-one onto the provider alias, Terraform module and physical name provisioning will give it
(:mod:`harness.topology.names`, each kind's :meth:`~harness.topology.kind.KindSpec.claims`), so an
apply never silently does less than the file says.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.topology.drafts import Drafts
from harness.topology.kind import NameClaim, specs
from harness.topology.names import provider_alias
from harness.topology.regions import partition_of
from harness.topology.sourced_yaml import quote


def cross_check(d: Drafts) -> None:
    """Run every cross-check, recording problems on ``d.problems``."""
    check_partitions(d)
    for spec in specs():
        spec.cross_check(d)
    check_names_one_to_one(d)


def check_partitions(d: Drafts) -> None:
    """All regions must share one partition; role ARNs must be in that partition."""
    first: str | None = None
    for region in d.regions:
        part = partition_of(region)
        if d.partition is None:
            d.partition, first = part, region
        elif part != d.partition:
            d.region_nodes[region].problem(
                f"{quote(region)} is in partition {part} but {first} is in {d.partition}; SNS and "
                "SQS cannot deliver across partitions, so use regions of one partition only",
            )
    if d.partition is None:
        return
    for acct in d.accounts.values():
        if acct.role_partition is not None and acct.role_partition != d.partition and acct.role_node:
            acct.role_node.problem(
                f"the role is in partition {acct.role_partition} but the regions are in "
                f"{d.partition}; write arn:{d.partition}:iam::... or change regions:"
            )


def check_names_one_to_one(d: Drafts) -> None:
    """No two logical names may fold into one provider alias, module name or physical name."""
    aliases = [
        NameClaim(f"account {quote(a.name)}", provider_alias(a.name, region), "Terraform provider alias", a.node)
        for a in d.accounts.values()
        if a.valid_name
        for region in d.regions
    ]
    claims = [c for spec in specs() for draft in d.section(spec.group).values() for c in spec.claims(draft, d)]
    namespaces: dict[str, list[NameClaim]] = {}
    for claim in aliases + claims:
        namespaces.setdefault(claim.what, []).append(claim)
    for what, entries in namespaces.items():
        _one_to_one(entries, what)


def _one_to_one(entries: Iterable[NameClaim], what: str) -> None:
    """Report each entry whose target name an earlier, different entry already has."""
    first: dict[str, NameClaim] = {}
    reported: set[str] = set()
    for claim in entries:
        seen = first.setdefault(claim.target, claim)
        if seen.description == claim.description or claim.description in reported:
            continue  # the same entry again (e.g. one account in several regions, a repeated subscription)
        reported.add(claim.description)
        why = (
            "Terraform names are lowercase and read every character but letters, digits and '_' as '_'"
            if what.startswith("Terraform")
            else "each needs its own"
        )
        claim.node.problem(
            f"{claim.description} and {seen.description} (line {seen.node.line}) both become the {what} {claim.target}; {why}, "
            "so rename one of them"
        )
