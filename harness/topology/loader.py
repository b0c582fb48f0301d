"""Load and validate a topology YAML file into :class:`harness.topology.model.Topology`.

``load_topology(path)`` either returns a fully cross-checked :class:`Topology` or raises
:class:`~harness.errors.InputFileError` carrying *every* problem found, one line each::

    scenarios/x.topology.yaml:14: queues.b-eu.dead_letter.queue: ... ; <what to write instead>

Malformed input of any shape (wrong types, nulls, unknown keys, duplicate keys, YAML syntax errors)
becomes a problem, never a traceback. See ``scenarios/reference.topology.yaml`` for the format.

The steps: :mod:`~harness.topology.sourced_yaml` reads the file, the section readers
(:mod:`~harness.topology.read_accounts` and each registered kind's,
:class:`~harness.topology.kind.KindSpec`) fill the drafts, :mod:`~harness.topology.cross_checks`
compares them, :func:`build_topology` freezes them.
"""

from __future__ import annotations

import os
import re

from harness.topology.cross_checks import cross_check
from harness.topology.drafts import Drafts
from harness.topology.kind import need, specs
from harness.topology.model import Account, AwsAccess, Topology
from harness.topology.read_accounts import read_accounts, read_regions
from harness.topology.sourced_yaml import Node, load_yaml

__all__ = ["load_topology", "validate_topology", "top_keys"]

TOPOLOGY_NAME_RE = re.compile(r"[a-z][a-z0-9-]{0,31}")
COMMON_KEYS = ("name", "accounts", "regions")


def top_keys() -> tuple[str, ...]:
    """The sections a topology file may have: its own, then one per registered kind."""
    return COMMON_KEYS + tuple(spec.group for spec in specs())


def validate_topology(root: Node) -> Topology:
    """Validate an already-composed document (from :func:`harness.topology.sourced_yaml.parse_yaml`)."""
    d = Drafts(root.problems)
    top = root.mapping(
        allowed=top_keys(),
        required=COMMON_KEYS,
        hint="a topology file is a mapping with " + ", ".join(f"{k}:" for k in top_keys()[:-1]) + f" and {top_keys()[-1]}:",
        required_hints={
            "name": "add name: <lowercase name>, e.g. name: reference",
            "accounts": 'add accounts: with at least one account, e.g. accounts: {A: {id: "111111111111"}}',
            "regions": "add regions: with the regions used, e.g. regions: [us-east-1]",
        },
    )
    if top is None:
        d.problems.raise_if_any()
    assert top is not None
    if "name" in top:
        d.name = top["name"].string(
            pattern=TOPOLOGY_NAME_RE,
            what="topology name",
            hint="use 1-32 lowercase letters, digits and hyphens starting with a letter, e.g. name: reference",
        )
    if "accounts" in top:
        read_accounts(d, top["accounts"])
    if "regions" in top:
        read_regions(d, top["regions"])
    for spec in specs():
        if spec.group in top:
            spec.read(d, top[spec.group])
    cross_check(d)
    d.problems.raise_if_any()
    return build_topology(d)


def build_topology(d: Drafts) -> Topology:
    """The model of problem-free drafts; call only once every problem is raised."""
    accounts = {
        a.name: Account(
            name=a.name,
            id=need(d, a.id, f"accounts.{a.name}.id"),
            aws=AwsAccess(role_arn=a.role_arn, profile=a.profile, external_id=a.external_id, function_boundary=a.function_boundary),
        )
        for a in d.accounts.values()
    }
    resources: dict[str, dict[str, object]] = {}
    for spec in specs():
        entries = (spec.build(draft, d) for draft in d.section(spec.group).values())
        resources[spec.group] = {spec.key_of(e): e for e in entries}
    return Topology(need(d, d.name, "name"), d.problems.file, accounts, tuple(d.regions), resources, tuple(d.problems.warnings))


def load_topology(path: str | os.PathLike[str]) -> Topology:
    """Read, validate and cross-check the topology file at ``path``.

    Raises :class:`InputFileError` listing every problem (``file:line: field: message``), sorted by
    line, where ``file`` is ``str(path)``.
    """
    return validate_topology(load_yaml(path))
