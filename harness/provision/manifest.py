"""The run manifest: ``.harness/runs/<run-id>/manifest.json``.

It is the hand-over from provisioning to everything downstream (scenario runs, reports): for each
logical topic, queue and bucket its account, region, ARN and URL/name, plus the run id, target and
endpoint. Downstream code reads the manifest; it never reads Terraform state or the topology file.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harness.errors import RunNotFoundError
from harness.settings import Settings

log = logging.getLogger(__name__)

STATUS_APPLYING = "applying"
STATUS_APPLIED = "applied"
STATUS_FAILED = "failed"
STATUS_DESTROYED = "destroyed"
# The emulator that held the run's resources died, and they with it: nothing left to destroy.
STATUS_GONE = "gone"


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
    queue: str
    arn: str
    raw_delivery: bool
    filter_policy: dict | None
    created_by: str  # account name whose provider created it
    filter_policy_scope: str = "MessageAttributes"  # MessageBody: set after apply (harness.provision.body_filters)


@dataclass(frozen=True)
class Planned:
    """One physical resource a run creates: what it is, where, and its exact name."""

    kind: str  # a registered resource kind (harness.provision.kinds): topic | queue | bucket | key
    account: str  # account name in the topology
    account_id: str
    region: str
    name: str
    partition: str = "aws"  # ARN partition of the region (aws, aws-us-gov, aws-cn)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name} ({self.account}/{self.region})"


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
    aws_access: dict[str, dict] = field(default_factory=dict)  # name -> {role_arn, profile, external_id}
    topics: dict[str, ResourceEntry] = field(default_factory=dict)
    queues: dict[str, ResourceEntry] = field(default_factory=dict)
    buckets: dict[str, ResourceEntry] = field(default_factory=dict)
    keys: dict[str, ResourceEntry] = field(default_factory=dict)  # KMS keys: arn, name = alias without alias/
    subscriptions: list[SubscriptionEntry] = field(default_factory=list)
    error: str | None = None
    # Every physical resource the run creates, known before the apply (see harness.provision.leftovers), and
    # which of them already existed then (None: not known, so nothing may be swept).
    planned: list[Planned] = field(default_factory=list)
    preexisting: list[str] | None = None

    # -- persistence --------------------------------------------------------------------------
    @staticmethod
    def path_for(run_id: str, settings: Settings) -> Path:
        return settings.run_dir(run_id) / "manifest.json"

    def save(self, settings: Settings) -> Path:
        """Write the manifest atomically under ``settings``' state directory; return its path."""
        path = self.path_for(self.run_id, settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        tmp.replace(path)
        return path

    @classmethod
    def from_dict(cls, data: dict) -> Manifest:
        data = dict(data)
        for kind in ("topics", "queues", "buckets", "keys"):
            data[kind] = {k: ResourceEntry(**v) for k, v in data.get(kind, {}).items()}
        data["subscriptions"] = [SubscriptionEntry(**s) for s in data.get("subscriptions", [])]
        data["planned"] = [Planned(**p) for p in data.get("planned", [])]
        return cls(**data)

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


def latest_active_run(
    settings: Settings, statuses: tuple[str, ...] = (STATUS_APPLIED, STATUS_APPLYING, STATUS_FAILED)
) -> Manifest:
    """The newest run in one of ``statuses`` (default: anything that may still own resources)."""
    active = [m for m in list_runs(settings) if m.status in statuses]
    if not active:
        raise RunNotFoundError("no applied run to act on; `harness up --topology FILE` creates one.")
    return active[-1]
