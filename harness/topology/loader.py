"""Load and validate a topology YAML file into :class:`harness.topology.model.Topology`.

``load_topology(path)`` either returns a fully cross-checked :class:`Topology` or raises
:class:`~harness.errors.InputFileError` carrying *every* problem found, one line each::

    scenarios/x.topology.yaml:14: queues.b-eu.dead_letter.queue: ... ; <what to write instead>

Malformed input of any shape (wrong types, nulls, unknown keys, duplicate keys, YAML syntax errors)
becomes a problem, never a traceback. See ``scenarios/reference.topology.yaml`` for the format.

The steps: :mod:`~harness.topology.sourced_yaml` reads the file, the section readers
(:mod:`~harness.topology.read_accounts`, :mod:`~harness.topology.read_resources`) fill the drafts,
:mod:`~harness.topology.cross_checks` compares them, :mod:`~harness.topology.build` freezes them.
"""

from __future__ import annotations

import os
import re

from harness.topology.build import build_topology
from harness.topology.cross_checks import cross_check
from harness.topology.drafts import Drafts
from harness.topology.model import Topology
from harness.topology.read_accounts import read_accounts, read_regions
from harness.topology.read_resources import read_buckets, read_keys, read_queues, read_subscriptions, read_topics
from harness.topology.sourced_yaml import Node, load_yaml

__all__ = ["load_topology", "validate_topology"]

TOPOLOGY_NAME_RE = re.compile(r"[a-z][a-z0-9-]{0,31}")
TOP_KEYS = ("name", "accounts", "regions", "keys", "topics", "queues", "buckets", "subscriptions")


def validate_topology(root: Node) -> Topology:
    """Validate an already-composed document (from :func:`harness.topology.sourced_yaml.parse_yaml`)."""
    d = Drafts(root.problems)
    top = root.mapping(
        allowed=TOP_KEYS,
        required=("name", "accounts", "regions"),
        hint="a topology file is a mapping with name:, accounts:, regions:, keys:, topics:, queues:, "
        "buckets: and subscriptions:",
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
    readers = (
        ("accounts", read_accounts),
        ("regions", read_regions),
        ("keys", read_keys),
        ("topics", read_topics),
        ("queues", read_queues),
        ("buckets", read_buckets),
        ("subscriptions", read_subscriptions),
    )
    for key, read in readers:
        if key in top:
            read(d, top[key])
    cross_check(d)
    d.problems.raise_if_any()
    return build_topology(d)


def load_topology(path: str | os.PathLike[str]) -> Topology:
    """Read, validate and cross-check the topology file at ``path``.

    Raises :class:`InputFileError` listing every problem (``file:line: field: message``), sorted by
    line, where ``file`` is ``str(path)``.
    """
    return validate_topology(load_yaml(path))
