"""What a resource kind provides to the topology stage (its ``spec.py``), and the registry's view of it.

A :class:`KindSpec` reads its section of a topology file into drafts (:mod:`.drafts`), checks what
depends on other sections, names the Terraform modules and physical names it will take (so the
loader proves them one-to-one before anything is rendered) and builds its frozen model entry.
:func:`specs` lists the registered kinds' specs in registry order (:mod:`harness.kinds`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar, cast

from harness import kinds as registry
from harness.errors import InputFileError, Problem
from harness.topology.drafts import Drafts, OwnedDraft
from harness.topology.sourced_yaml import Node

T = TypeVar("T")


@dataclass(frozen=True)
class NameClaim:
    """A name an entry takes: ``description`` (``queue 'b-eu'``) claims ``target`` in namespace ``what``
    (``Terraform module``, ``queue name``, ``S3 bucket name``...). Two entries may not claim one."""

    description: str
    target: str
    what: str
    node: Node


class KindSpec(ABC):
    """One kind's part of the topology stage. Subclasses set the class attributes and implement
    :meth:`read` and :meth:`build`; the rest has defaults for kinds that need none."""

    name: ClassVar[str]  # "queue"
    group: ClassVar[str]  # "queues": the section of the file and the key in Topology.resources
    keys: ClassVar[tuple[str, ...]]  # the fields one entry may have
    model: ClassVar[type]  # the frozen dataclass one validated entry becomes
    named: ClassVar[bool] = True  # a mapping of logical name -> entry; False: a list (subscriptions)
    example: ClassVar[str] = ""  # one entry as YAML, for hints and docs

    @abstractmethod
    def read(self, d: Drafts, node: Node) -> None:
        """Read the section ``node`` into ``d.section(self.group)`` (drafts keyed by logical name,
        or by position for a list), recording every problem on its node."""

    def cross_check(self, d: Drafts) -> None:
        """Checks against other sections (once every section is read). None by default."""
        return None

    @abstractmethod
    def build(self, draft: Any, d: Drafts) -> Any:
        """The model entry of a problem-free draft."""

    def key_of(self, entry: Any) -> str:
        """The entry's key in :attr:`Topology.resources` (its logical name by default)."""
        return str(entry.name)

    def claims(self, draft: Any, d: Drafts) -> list[NameClaim]:
        """The Terraform module and physical names the draft will take (none by default)."""
        return []

    def key_uses(self, draft: Any) -> list[tuple[str, str, str]]:
        """(account, "encrypt" | "decrypt", who it is) for each use of the KMS key the entry names
        (``kms_key``): the key must let each account do it. None by default."""
        return []

    def owned(self, d: Drafts) -> list[OwnedDraft]:
        """The section's drafts that live in an account and region (all, for named kinds)."""
        return [v for v in d.section(self.group).values() if isinstance(v, OwnedDraft)]


def specs() -> list[KindSpec]:
    """The registered kinds' topology parts, in registry order."""
    # A kind's spec.py defines PART as its KindSpec (the registry's contract, harness/kinds); the
    # registry itself holds parts of every stage as `object`, below the stages that define them.
    return [cast(KindSpec, p) for _, p in registry.parts("spec")]


def spec_of(group: str) -> KindSpec:
    for spec in specs():
        if spec.group == group:
            return spec
    raise ValueError(f"no registered kind has the group {group!r}")


def need(d: Drafts, value: T | None, what: str) -> T:
    """A draft value that validation guarantees; a None here is an internal error, said as one."""
    if value is None:  # pragma: no cover - every None here has a recorded problem
        raise InputFileError([Problem(d.problems.file, 1, "(document)", f"internal: {what} missing after validation")])
    return value
