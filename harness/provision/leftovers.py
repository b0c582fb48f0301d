"""Leftover sweep: a run's resources that exist although Terraform's state does not know them.

Terraform records a resource in its state only once the create call has returned. Interrupt it
(Ctrl-C, a killed CI job) while a create is in flight and the object can exist outside the state,
so ``terraform destroy`` cannot see it: an S3 bucket created a moment before the interrupt is the
usual case. The harness knows every physical name a run plans to create (``hx-<run-id>-…``, the
manifest's ``planned`` list), so after each destroy it probes exactly those names in their account
and region and deletes what is still there — but only what is provably the run's own:

- before the apply, :func:`probe` checks that none of the names exists yet; ``harness up`` refuses
  to apply over existing names (Terraform would adopt an identical topic or queue and later destroy
  it), and records the (empty) result as ``preexisting``. Without that record nothing is deleted;
- a topic or queue is deleted only if it carries the run's tag (the provider sets tags in the
  create call); an untagged one is reported, never deleted;
- a bucket is tagged only after it is created, so an untagged bucket is deleted (its name holds
  the run id and the owning account id, and it did not exist before the apply); a bucket tagged
  for another run, or one the account may not inspect, is reported.

How a kind is probed, read and deleted is the kind's business (``harness/kinds/<kind>/provision.py``);
this module only applies the rules above, the same for every kind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from botocore.exceptions import BotoCoreError, ClientError

from harness import retry
from harness.errors import HarnessError
from harness.provision.kind import swept_kind
from harness.provision.manifest import Planned
from harness.provision.sessions import Sessions

log = logging.getLogger(__name__)

_FORBIDDEN = {"403", "AccessDenied", "AuthorizationError", "AccessDeniedException"}


class Presence(Enum):
    ABSENT = "absent"
    PRESENT = "present"
    FORBIDDEN = "forbidden"  # exists as far as we can tell, but this account may not inspect it


def presence(sessions: Sessions, item: Planned) -> Presence:
    """Whether ``item`` exists in its account and region. Unexpected errors propagate."""
    kind = swept_kind(item.kind)
    try:
        kind.exists(sessions, item)
    except ClientError as exc:
        code = retry.error_code(exc)
        if code in kind.missing_codes:
            return Presence.ABSENT
        if code in _FORBIDDEN:
            return Presence.FORBIDDEN
        raise
    return Presence.PRESENT


def probe(sessions: Sessions, planned: Iterable[Planned]) -> list[str]:
    """Labels of planned names that are already taken (present, or someone else's bucket)."""
    return [p.label for p in planned if presence(sessions, p) is not Presence.ABSENT]


def _delete(sessions: Sessions, item: Planned) -> bool:
    """Delete ``item``. False when it turned out to be gone already."""
    kind = swept_kind(item.kind)
    try:
        kind.delete(sessions, item)
    except ClientError as exc:
        if retry.error_code(exc) in kind.missing_codes:
            return False  # the destroy's delete became visible meanwhile
        raise
    return True


@dataclass
class SweepResult:
    deleted: list[str] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)  # "label: why" — found, not provably ours
    failed: list[str] = field(default_factory=list)  # "label: error"
    prepared: list[str] = field(default_factory=list)  # e.g. unfinished multipart uploads aborted


def _sweep_order(item: Planned) -> int:
    return swept_kind(item.kind).sweep_rank


def sweep(
    sessions: Sessions, planned: Iterable[Planned], preexisting: list[str] | None, run_tag: tuple[str, str]
) -> SweepResult:
    """Delete the run's planned resources that still exist after a destroy, when provably its own."""
    tag_key, run_id = run_tag
    result = SweepResult()
    # In registry order: topics first (their subscriptions go with them), then queues, then buckets.
    for item in sorted(planned, key=_sweep_order):
        try:
            found = presence(sessions, item)
            if found is Presence.ABSENT:
                continue
            if found is Presence.FORBIDDEN:
                result.left_alone.append(f"{item.label}: this account may not inspect it")
                continue
            if preexisting is None:
                result.left_alone.append(f"{item.label}: no pre-apply check shows the name was free")
                continue
            if item.label in preexisting:
                result.left_alone.append(f"{item.label}: it existed before this run")
                continue
            tag = swept_kind(item.kind).run_tag(sessions, item, tag_key)
            if tag is not None and tag != run_id:
                result.left_alone.append(f"{item.label}: tagged {tag_key}={tag}, another run's")
                continue
            if tag is None and swept_kind(item.kind).tagged_at_create:
                result.left_alone.append(f"{item.label}: not tagged {tag_key}={run_id}")
                continue
            log.warning("%s survived the destroy (not in Terraform's state); deleting it", item.label)
            result.prepared += swept_kind(item.kind).prepare_delete(sessions, item)
            if _delete(sessions, item):
                result.deleted.append(item.label)
        except (ClientError, BotoCoreError, HarnessError) as exc:
            code = retry.error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
            result.failed.append(f"{item.label}: {code}: {exc}")
    return result
