"""Typed field readers shared by the section readers of a topology file.

Each reader takes the :class:`~harness.topology.drafts.Drafts` read so far and a
:class:`~harness.topology.sourced_yaml.Node`, returns the value (or ``None``) and records any
problem on the node, with a hint built from what the file defines (``use one of A, B``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

from harness.topology.drafts import Drafts, OwnedDraft, Ref
from harness.topology.sourced_yaml import Node, join_names, quote, suggest

if TYPE_CHECKING:
    from harness.kinds.queue.spec import QueueDraft

RESOURCE_NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")  # topics, queues and keys (without .fifo)


def slug(text: str, limit: int) -> str:
    """A best-effort valid logical name derived from what the user wrote (for 'e.g.' hints)."""
    text = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:limit].strip("-")
    return text or "my-name"


def choices(names: Iterable[str], section: str) -> str:
    """``use one of the queues defined under queues: (a, b)`` or, if there are none, say so."""
    names = list(names)
    if not names:
        return f"no {section} are defined yet; define it under {section}:"
    return f"use one of the {section} defined under {section}: ({join_names(names)})"


def kind_of(fifo: bool | None) -> str:
    return "FIFO" if fifo else "standard"


def account_ref(d: Drafts, node: Node, role: str = "account") -> Ref | None:
    known = join_names(d.account_names)
    value = node.string(
        what="account name", hint=f"write the name of an account defined under accounts:, one of {known}"
    )
    if value is None:
        return None
    if d.accounts_known and value not in d.account_names:
        node.problem(
            f"unknown {role} {quote(value)}; use one of {known} (the names under accounts:)"
            f"{suggest(value, d.account_names)}"
        )
        return None
    return Ref(value, node)


def region_ref(d: Drafts, node: Node) -> Ref | None:
    listed = join_names(d.regions)
    value = node.string(what="AWS region", hint=f"write one of the regions listed under regions: ({listed})")
    if value is None:
        return None
    if d.regions_known and value not in d.listed_regions:
        node.problem(
            f"{quote(value)} is not in the top-level regions list; add it to regions: or use one "
            f"of {listed}{suggest(value, d.regions)}"
        )
        return None
    return Ref(value, node)


def grantees(d: Drafts, node: Node, owner: Ref | None, role: str) -> list[str]:
    """A list of account names other than the owner (publishers, producers, readers). The owner
    listed, or an account listed twice, is harmless redundancy: a warning, and left out."""
    known = join_names(d.account_names)
    others = [a for a in d.account_names if owner is None or a != owner.value][:2] or ["B"]
    items = node.string_list(
        what="account name",
        hint=f"write a list of account names, e.g. {node.field.rsplit('.', 1)[-1]}: [{', '.join(others)}]",
        allow_duplicates=True,
    )
    out: list[str] = []
    first: dict[str, int] = {}
    for value, item in items or []:
        if d.accounts_known and value not in d.account_names:
            item.problem(
                f"unknown account {quote(value)}; use one of {known} (the names under accounts:)"
                f"{suggest(value, d.account_names)}"
            )
            continue
        if owner is not None and value == owner.value:
            item.warning(f"{quote(value)} owns this {role} and already has access; remove it from this list (nothing changes)")
            continue
        if value in first:
            item.warning(f"{quote(value)} is listed twice (first at line {first[value]}); remove the repeat (nothing changes)")
            continue
        first[value] = item.line
        out.append(value)
    return out


def logical_name(name: str, value: Node, kind: str, regex: re.Pattern[str], limit: int) -> bool:
    """Whether ``name`` is a valid logical name of a ``kind``; records why not."""
    if name.endswith(".fifo") and kind in ("topic", "queue"):
        base = name[: -len(".fifo")]
        value.problem(
            f"do not write .fifo in the logical {kind} name (the harness adds it); "
            f"name it {quote(base)} and set fifo: true"
        )
        return False
    if not regex.fullmatch(name):
        value.problem(
            f"{quote(name)} is not a valid {kind} name; use 1-{limit} lowercase letters, digits and "
            f"hyphens starting with a letter or digit, e.g. {slug(name, limit)}"
        )
        return False
    return True


def owned(d: Drafts, name: str, value: Node, kind: str, allowed: tuple[str, ...]) -> dict[str, Node] | None:
    """The fields of a topic, queue or bucket (which all need account: and region:)."""
    return value.mapping(
        allowed=allowed,
        required=("account", "region"),
        hint=f"write the {kind} as a mapping, e.g. {name}: {{account: "
        f"{d.account_names[0] if d.account_names else 'A'}, region: "
        f"{d.regions[0] if d.regions else 'us-east-1'}}}",
        required_hints={
            "account": f"add account: <one of {join_names(d.account_names)}>",
            "region": f"add region: <one of {join_names(d.regions)}>",
        },
    )


def place(d: Drafts, draft: OwnedDraft, fields: dict[str, Node]) -> None:
    """The owning account and the region of a topic, queue or bucket."""
    if "account" in fields:
        draft.account = account_ref(d, fields["account"])
    if "region" in fields:
        draft.region = region_ref(d, fields["region"])
    if "kms_key" in fields:  # checked against keys: by the cross-checks (keys may come later in the file)
        value = fields["kms_key"].string(what="key name", hint="write the logical name of a key defined under keys:")
        draft.kms_key = Ref(value, fields["kms_key"]) if value is not None else None


D = TypeVar("D", bound=OwnedDraft)


def owned_entries(
    d: Drafts, node: Node, kind: str, group: str, make: Callable[[str, Node], D], allowed: tuple[str, ...], limit: int = 40
) -> Iterator[tuple[D, dict[str, Node]]]:
    """Each entry of an owned kind's section (a topic, queue, key, function): its draft, filed under
    ``group`` with its logical name checked, and — when it is a mapping with account: and region: —
    its fields, the draft placed in its account and region. Entries that are not are filed, not yielded."""
    for name, value in section(node, kind).items():
        draft = make(name, value)
        draft.valid_name = logical_name(name, value, kind, RESOURCE_NAME_RE, limit)
        d.section(group)[name] = draft
        fields = owned(d, name, value, kind, allowed)
        if fields is not None:
            place(d, draft, fields)
            yield draft, fields


def section(node: Node, kind: str) -> dict[str, Node]:
    """``topics:``, ``queues:`` or ``buckets:``: a mapping of logical name to fields (or empty)."""
    if node.is_null:
        return {}
    entries = node.mapping(
        hint=f"write {kind}s as a mapping of logical name to {kind}, e.g. {kind}s: "
        f"{{my-{kind}: {{account: A, region: us-east-1}}}}"
    )
    return entries or {}


def fifo_fields(fields: dict[str, Node], kind: str) -> tuple[bool, bool]:
    """``fifo`` and ``content_based_deduplication`` (which needs ``fifo: true``)."""
    fifo: bool | None = False
    if "fifo" in fields:
        fifo = fields["fifo"].boolean(hint=f"write fifo: true for a FIFO {kind}, or leave it out")
    cbd = False
    if "content_based_deduplication" in fields:
        cnode = fields["content_based_deduplication"]
        value = cnode.boolean(hint="write content_based_deduplication: true or false")
        if fifo:
            cbd = bool(value)
        elif fifo is not None:  # fifo absent or false (an invalid fifo is reported already)
            cnode.problem(
                f"only FIFO {kind}s have content-based deduplication; set fifo: true on this "
                f"{kind} or remove content_based_deduplication"
            )
    return bool(fifo), cbd


def known_queue(d: Drafts, ref: Ref, what: str) -> QueueDraft | None:
    """The queue ``ref`` names, or ``None`` after recording that there is no such queue."""
    target = d.queues.get(ref.value)
    if target is None:
        ref.node.problem(
            f"unknown {what} {quote(ref.value)}; {choices(d.queues, 'queues')}{suggest(ref.value, d.queues)}"
        )
    return target
