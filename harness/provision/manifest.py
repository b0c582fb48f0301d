"""The run record: ``.harness/runs/<run-id>/manifest.json``.

It is the hand-over from provisioning to everything downstream (scenario runs, changes, load,
reports), and it is self-contained: the run id, target and endpoint, the validated topology as it
was applied (a canonical JSON snapshot and its sha256, :meth:`Manifest.applied_topology`), and for
every entry of every registered kind where it lives and what it is called (``topics``, ``queues``,
``buckets``, ``keys``, ``subscriptions``, ... each stored by its kind's ``provision.py``).
Downstream code reads the record; it never reads Terraform state, and it reads the topology file
only to say that the file changed since the apply (:meth:`Manifest.topology_drift`).

Its ``status`` moves only along :mod:`harness.provision.run_state`'s declared transitions; every
save checks the move.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from harness.errors import HarnessError, InputFileError, RunNotFoundError
from harness.provision import run_state
from harness.provision.run_state import APPLIED, APPLYING, DESTROYED, FAILED, GONE, check_transition
from harness.settings import Settings
from harness.topology.loader import load_topology
from harness.topology.model import Topology

if TYPE_CHECKING:
    from harness.provision.kind import ProvisionKind

log = logging.getLogger(__name__)

# The states, as the rest of the harness has always named them.
STATUS_APPLYING, STATUS_APPLIED, STATUS_FAILED, STATUS_DESTROYED, STATUS_GONE = APPLYING, APPLIED, FAILED, DESTROYED, GONE


@dataclass
class ResourceEntry:
    account: str
    account_id: str
    region: str
    arn: str = ""
    name: str = ""
    url: str = ""
    fifo: bool = False
    kms_key: str = ""  # logical name of the key (under Manifest.keys) that encrypts it; "" for none


@dataclass
class SubscriptionEntry:
    topic: str
    queue: str  # "" for a function subscription
    arn: str
    raw_delivery: bool
    filter_policy: dict[str, Any] | None
    created_by: str  # account name whose provider created it
    filter_policy_scope: str = "MessageAttributes"  # MessageBody: set after apply (harness.provision.body_filters)
    function: str = ""  # logical function name of a lambda subscription

    @property
    def endpoint(self) -> str:
        return self.function or self.queue


@dataclass
class FunctionEntry:
    """An applied Lambda function: where it is, its execution role, the queue its handler writes
    receipts to, and its event source mapping (``queue`` is the logical queue it polls;
    ``on_failure`` the logical queue that gets the records of its failed asynchronous invocations)."""

    account: str
    account_id: str
    region: str
    arn: str = ""
    name: str = ""
    role_arn: str = ""
    role_name: str = ""
    receipts_url: str = ""
    receipts_arn: str = ""
    mapping_uuid: str = ""
    queue: str = ""
    on_failure: str = ""


@dataclass(frozen=True)
class Planned:
    """One physical resource a run creates: what it is, where, and its exact name."""

    kind: str  # a registered sweep kind (harness.provision.kind.swept_kinds): topic | queue | bucket | key
    account: str  # account name in the topology
    account_id: str
    region: str
    name: str
    partition: str = "aws"  # ARN partition of the region (aws, aws-us-gov, aws-cn)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name} ({self.account}/{self.region})"


def _kinds() -> list[ProvisionKind]:
    from harness.provision.kind import provision_kinds  # the kinds' parts import this module

    return provision_kinds()


@dataclass
class Manifest:
    run_id: str
    target: str
    endpoint_url: str | None
    topology: str
    topology_file: str
    status: str
    provider_version: str
    created_at: float = field(default_factory=time.time)
    accounts: dict[str, str] = field(default_factory=dict)  # name -> id
    aws_access: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {role_arn, profile, external_id}
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # group -> key -> the kind's entry
    error: str | None = None
    # Every physical resource the run creates, known before the apply (see harness.provision.leftovers),
    # and which of them already existed then (None: not known, so nothing may be swept).
    planned: list[Planned] = field(default_factory=list)
    preexisting: list[str] | None = None
    # The validated topology as applied (Topology.snapshot()) and its sha256; None in records
    # written before snapshots existed (their topology is read from topology_file).
    topology_snapshot: dict[str, Any] | None = None
    topology_sha256: str = ""
    # The status last written to (or read from) disk: the state a save moves from.
    _saved_status: str | None = field(default=None, repr=False, compare=False)

    # -- typed views of the built-in kinds --------------------------------------------------------
    @property
    def topics(self) -> dict[str, ResourceEntry]:
        return self.resources.setdefault("topics", {})

    @property
    def queues(self) -> dict[str, ResourceEntry]:
        return self.resources.setdefault("queues", {})

    @property
    def buckets(self) -> dict[str, ResourceEntry]:
        return self.resources.setdefault("buckets", {})

    @property
    def keys(self) -> dict[str, ResourceEntry]:
        return self.resources.setdefault("keys", {})  # KMS keys: arn, name = alias without alias/

    @property
    def functions(self) -> dict[str, FunctionEntry]:
        return self.resources.setdefault("functions", {})  # the function kind's entry_type

    @property
    def subscriptions(self) -> list[SubscriptionEntry]:
        # the subscription kind's entry_type (harness/kinds/subscription/provision.py)
        return list(cast("dict[str, SubscriptionEntry]", self.resources.get("subscriptions", {})).values())

    # -- the applied topology ---------------------------------------------------------------------
    def record_topology(self, topology: Topology) -> None:
        """Snapshot ``topology`` as what this run applies (``up``, and ``change`` once applied)."""
        self.topology_snapshot = topology.snapshot()
        self.topology_sha256 = topology.sha256()
        self.topology = topology.name

    def applied_topology(self) -> Topology:
        """The topology this run applied, from its snapshot (records without one: its file)."""
        if self.topology_snapshot is None:
            log.warning("run %s predates topology snapshots: reading %s as it is now", self.run_id, self.topology_file)
            return load_topology(self.topology_file)
        return Topology.from_snapshot(self.topology_snapshot, self.topology_file)

    def topology_drift(self) -> str | None:
        """One line when the topology file no longer describes what this run applied, else None."""
        if self.topology_snapshot is None:
            return None
        where = self.topology_file
        try:
            now = load_topology(where)
        except InputFileError as err:
            return f"{where} has changed since run {self.run_id} applied it and no longer validates ({len(err.problems)} problem(s)); using the applied snapshot"
        except HarnessError as err:
            return f"{where} cannot be read now ({err}); using run {self.run_id}'s applied snapshot"
        if now.sha256() != self.topology_sha256:
            return f"{where} has changed since run {self.run_id} applied it; judging the applied snapshot (sha256 {self.topology_sha256[:12]}…), not the file"
        return None

    # -- state ------------------------------------------------------------------------------------
    def transition(self, status: str, settings: Settings, error: str | None = None) -> Path:
        """Move to ``status`` (a declared transition, :mod:`~harness.provision.run_state`) with
        ``error`` as the reason, and save."""
        self.status, self.error = status, error
        return self.save(settings)

    @property
    def live(self) -> bool:
        """Whether the run may still own resources."""
        return self.status in run_state.LIVE

    # -- persistence ------------------------------------------------------------------------------
    @staticmethod
    def path_for(run_id: str, settings: Settings) -> Path:
        return settings.run_dir(run_id) / "manifest.json"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_") and f.name != "resources"}
        data["planned"] = [asdict(p) for p in self.planned]
        for kind in _kinds():
            data[kind.group] = kind.dump(self.resources.get(kind.group, {}))
        return data

    def save(self, settings: Settings) -> Path:
        """Write the record atomically under ``settings``' state directory; return its path. The
        status must have moved along a declared transition since the last save."""
        check_transition(self.run_id, self._saved_status, self.status)
        path = self.path_for(self.run_id, settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.as_dict(), indent=2) + "\n")
        tmp.replace(path)
        self._saved_status = self.status
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        data = dict(data)
        resources = {kind.group: kind.load(data.pop(kind.group, None)) for kind in _kinds()}
        own = {f.name for f in fields(cls) if not f.name.startswith("_")}
        unknown = [k for k in data if k not in own]
        if unknown:
            raise KeyError(f"unknown field(s) {', '.join(unknown)} (a kind this harness does not have?)")
        data["planned"] = [Planned(**p) for p in data.get("planned", [])]
        manifest = cls(**data, resources=resources)
        manifest._saved_status = manifest.status
        return manifest

    @classmethod
    def load(cls, run_id: str, settings: Settings) -> Manifest:
        path = cls.path_for(run_id, settings)
        if not path.is_file():
            raise RunNotFoundError(f"no run {run_id!r} under {settings.runs_dir}; `harness runs` lists the known ones.")
        return cls.load_file(path)

    @classmethod
    def load_file(cls, path: Path) -> Manifest:
        try:
            return cls.from_dict(json.loads(Path(path).read_text()))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise RunNotFoundError(
                f"{path} is not a readable run manifest ({type(exc).__name__}: {exc}); restore it, or delete "
                f"{Path(path).parent} once you have checked that run's resources are gone."
            ) from exc


def list_runs(settings: Settings) -> list[Manifest]:
    """Every readable run manifest under ``settings``' state directory, oldest first."""
    root = settings.runs_dir
    if not root.is_dir():
        return []
    runs = []
    for f in root.glob("*/manifest.json"):
        try:
            runs.append(Manifest.load_file(f))
        except RunNotFoundError as exc:
            log.warning("skipping %s", exc)
    return sorted(runs, key=lambda m: m.created_at)


def latest_active_run(settings: Settings, statuses: tuple[str, ...] = run_state.LIVE) -> Manifest:
    """The newest run in one of ``statuses`` (default: anything that may still own resources)."""
    active = [m for m in list_runs(settings) if m.status in statuses]
    if not active:
        raise RunNotFoundError("no applied run to act on; `harness up --topology FILE` creates one.")
    return active[-1]
