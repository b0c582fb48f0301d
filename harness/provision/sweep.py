"""``harness sweep``: the kit's leftovers across every account × region of a topology.

``down`` only cleans up runs it knows (their manifest's planned names). A run killed outright (a
cancelled CI job, SIGKILL during ``up`` or ``run``, a lost state directory) leaves resources no
manifest here names, in paid accounts. The sweep lists each account's topics, queues and buckets in
the topology's regions and deletes the kit's leftovers:

- **the kit's**: names start with ``hx-`` and follow the kit's naming (``hx-<run-id>-<logical>``;
  buckets end with their account id). Topics and queues must also carry the ``harness:run-id``
  tag (the provider tags them in the create call); buckets are tagged after creation, so an
  untagged bucket with the kit's name counts as the kit's, as in ``down``'s sweep. Anything else
  is never touched (and not even listed);
- **not live**: a resource whose run (its tag, or the run id in its name) has status ``applied``
  or ``applying`` in this state directory is left alone. Runs of other state directories (other
  machines, other CI jobs) are not known here: on shared accounts pass ``older_than`` longer than
  any run lasts;
- **old enough** (with ``older_than``): creation time older than that. Per kind:
  queues: the ``CreatedTimestamp`` attribute; buckets: ``CreationDate`` from ``ListBuckets``;
  topics (SNS records no creation time): the run's manifest ``created_at`` when this state
  directory knows the run, else the oldest creation time of the run's queues and buckets found in
  the same sweep (one ``up`` creates them together). A resource of unknown age is left alone.

Finding and deleting are the resource kind's own operations (``harness/kinds/<kind>/provision.py``): a topic goes with
its subscriptions, a bucket with its objects, versions and unfinished multipart uploads.
``dry_run`` lists what would be deleted and deletes nothing.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError

from harness import retry
from harness.errors import HarnessError
from harness.provision.kind import swept_kind, swept_kinds
from harness.provision.manifest import STATUS_APPLIED, STATUS_APPLYING, Manifest, Planned, list_runs
from harness.provision.naming import NAME_PREFIX, TAG_RUN_ID
from harness.provision.sessions import Sessions
from harness.provision.targets import Target
from harness.settings import Settings
from harness.topology.model import Topology
from harness.topology.regions import partition_of

log = logging.getLogger(__name__)

LIVE_STATUSES = (STATUS_APPLIED, STATUS_APPLYING)
_RUN_IN_NAME = re.compile(rf"{NAME_PREFIX}-([a-z0-9]{{1,16}})-.+")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """``6h``, ``90m``, ``2d``, ``30s`` or plain seconds → seconds."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match:
        raise HarnessError(f"--older-than {text!r} is not a duration; write e.g. 6h, 90m, 2d or 3600 (seconds).")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass
class Found:
    """One of the kit's resources found by the sweep."""

    item: Planned
    run_id: str | None  # from its tag, else from its name
    tagged: bool  # carries harness:run-id
    created_at: float | None  # epoch seconds, when known
    detail: str = ""  # e.g. "with 2 subscription(s)"

    @property
    def label(self) -> str:
        return self.item.label + (f" {self.detail}" if self.detail else "")


@dataclass
class SweepReport:
    deleted: list[str] = field(default_factory=list)  # labels (dry run: what would be deleted)
    left_alone: list[str] = field(default_factory=list)  # "label: why"
    failed: list[str] = field(default_factory=list)  # "where: code: error"
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed


def _find(sessions: Sessions, topology: Topology, report: SweepReport) -> list[Found]:
    found: list[Found] = []
    for account in topology.accounts.values():
        for region in topology.regions:
            for kind in swept_kinds():
                where = f"{kind.group} of {account.name}/{region}"
                try:
                    for name, created, detail in kind.discover(sessions, account.name, region):
                        item = Planned(kind.kind, account.name, account.id, region, name, partition_of(region) or "aws")
                        tag = kind.run_tag(sessions, item, TAG_RUN_ID)
                        match = _RUN_IN_NAME.fullmatch(name)
                        run_id = tag or (match.group(1) if match else None)
                        found.append(Found(item, run_id, tag is not None, created, detail))
                except (ClientError, BotoCoreError, HarnessError) as exc:
                    code = retry.error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
                    report.failed.append(f"listing {where}: {code}: {exc}")
    return found


def _run_ages(found: list[Found], runs: dict[str, Manifest]) -> dict[str, float]:
    """Creation time of each run: its manifest's, else its oldest queue's or bucket's."""
    ages: dict[str, float] = {run_id: m.created_at for run_id, m in runs.items()}
    for f in found:
        if f.run_id and f.created_at is not None and f.run_id not in runs:
            ages[f.run_id] = min(ages.get(f.run_id, f.created_at), f.created_at)
    return ages


def _verdict(f: Found, live: set[str], ages: dict[str, float], older_than: float | None, now: float) -> str | None:
    """Why ``f`` stays, or None when it is a leftover to delete."""
    name_run = m.group(1) if (m := _RUN_IN_NAME.fullmatch(f.item.name)) else None
    if name_run is None and not f.tagged:
        return "not named hx-<run-id>-… nor tagged by the kit"
    if not f.tagged and swept_kind(f.item.kind).tagged_at_create:
        return f"not tagged {TAG_RUN_ID} (the kit tags it when creating it)"
    owners = {r for r in (f.run_id, name_run) if r}
    if owners & live:
        return f"belongs to live run {', '.join(sorted(owners & live))} (`harness down` it first)"
    if older_than is not None:
        created = f.created_at if f.created_at is not None else ages.get(f.run_id or "")
        if created is None:
            return "its age is unknown, so --older-than cannot be applied to it"
        if now - created < older_than:
            return f"created {(now - created) / 3600:.1f} h ago, younger than --older-than"
    return None


def sweep_topology(
    topology: Topology,
    target: Target,
    settings: Settings,
    older_than: float | None = None,
    dry_run: bool = False,
    out: TextIO | None = None,
    now: float | None = None,
) -> SweepReport:
    """Delete (or with ``dry_run`` list) the kit's leftovers in every account × region of ``topology``."""
    out = out or sys.stderr
    now = time.time() if now is None else now
    runs = {m.run_id: m for m in list_runs(settings)}
    live = {run_id for run_id, m in runs.items() if m.status in LIVE_STATUSES}
    sessions = Sessions(target, topology.accounts)
    report = SweepReport(dry_run=dry_run)
    print(
        f"sweeping topology '{topology.name}' on {target.label}: {len(topology.accounts)} account(s) × "
        f"{len(topology.regions)} region(s)" + (" (dry run: nothing is deleted)" if dry_run else ""),
        file=out,
        flush=True,
    )
    found = _find(sessions, topology, report)
    ages = _run_ages(found, runs)
    order = {kind.kind: i for i, kind in enumerate(swept_kinds())}  # topics, then queues, then buckets
    for f in sorted(found, key=lambda f: order[f.item.kind]):
        why = _verdict(f, live, ages, older_than, now)
        if why is not None:
            report.left_alone.append(f"{f.label}: {why}")
            print(f"  left alone {f.label}: {why}", file=out, flush=True)
            continue
        if dry_run:
            report.deleted.append(f.label)
            print(f"  would delete {f.label} (run {f.run_id})", file=out, flush=True)
            continue
        kind = swept_kind(f.item.kind)
        try:
            kind.delete(sessions, f.item)
        except ClientError as exc:
            if retry.error_code(exc) not in kind.missing_codes:
                report.failed.append(f"{f.label}: {retry.error_code(exc)}: {exc}")
                print(f"  FAILED to delete {f.label}: {exc}", file=out, flush=True)
                continue
        except (BotoCoreError, HarnessError) as exc:
            report.failed.append(f"{f.label}: {type(exc).__name__}: {exc}")
            print(f"  FAILED to delete {f.label}: {exc}", file=out, flush=True)
            continue
        report.deleted.append(f.label)
        print(f"  deleted {f.label} (run {f.run_id})", file=out, flush=True)
    verb = "would delete" if dry_run else "deleted"
    print(
        f"sweep: {verb} {len(report.deleted)}, left alone {len(report.left_alone)}, failed {len(report.failed)}",
        file=out,
        flush=True,
    )
    for failure in report.failed:
        print(f"  failed: {failure}", file=out, flush=True)
    return report
