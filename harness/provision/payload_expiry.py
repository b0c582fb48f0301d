"""The payload buckets' expiry rule (``expire_after_days:`` on a bucket), set after an apply.

Why not in Terraform: provider hashicorp/aws 3.39 only has the inline ``lifecycle_rule`` block of
``aws_s3_bucket`` (deprecated from 4.0, read-only in 5.x), and ``aws_s3_bucket_lifecycle_configuration``
does not exist before 4.0 — no form works on 3.39 through 6.x (tests/terraform/test_modules.py lists
both as NOT_PORTABLE). So, as :mod:`harness.provision.body_filters` does for filter-policy scopes,
the bucket kind puts the rule with ``PutBucketLifecycleConfiguration`` as the bucket's account
once an apply finished (:meth:`harness.kinds.bucket.provision.BucketKind.after_apply`, after
``harness up`` and after ``harness change``): one rule, ``harness-payload-expiry``, on every
object (payload objects are the bucket's only objects), expiring N days after upload and aborting
multipart uploads left unfinished for a day. Terraform never sees the rule and never removes it;
the bucket is destroyed with the run.

:func:`expiry_lines` says whether each bucket of a topology has one (``harness validate``);
:func:`applied_expiry` reads the rule back from an applied run (``harness access``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from harness import retry
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions

if TYPE_CHECKING:
    from harness.topology.model import Topology

RULE_ID = "harness-payload-expiry"
NO_RULE = ("NoSuchLifecycleConfiguration",)


def _days(topology: Topology) -> dict[str, int | None]:
    return {name: b.expire_after_days for name, b in sorted(topology.buckets.items())}


def expiry_lines(topology: Topology) -> list[str]:
    """One line per bucket: its expiry rule, or that it has none."""
    return [f"bucket {name}: payload objects expire {days} day{'s' if days != 1 else ''} after upload" if days else
            f"bucket {name}: no expiry rule (set expire_after_days: N): a payload no message points to stays until the run is destroyed"
            for name, days in _days(topology).items()]


def set_payload_expiry(manifest: Manifest, topology: Topology, sessions: Sessions) -> list[str]:
    """Put the expiry rule on every bucket of the run that asks for one; a line for each."""
    lines = []
    for name, days in _days(topology).items():
        entry = manifest.buckets.get(name)
        if not days or entry is None:
            continue
        s3 = sessions.client("s3", entry.account, entry.region)
        rule = {"ID": RULE_ID, "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": days},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}
        retry.call("s3.PutBucketLifecycleConfiguration", s3.put_bucket_lifecycle_configuration, policy=sessions.retry_policy,
                   Bucket=entry.name, LifecycleConfiguration={"Rules": [rule]})
        lines.append(f"bucket {name}: payload objects expire {days} day{'s' if days != 1 else ''} after upload")
    return lines


def applied_expiry(manifest: Manifest, sessions: Sessions) -> dict[str, int | None]:
    """Each bucket's expiry in days as read back now (None: no rule expires its objects)."""
    found: dict[str, int | None] = {}
    for name, entry in sorted(manifest.buckets.items()):
        s3 = sessions.client("s3", entry.account, entry.region)
        try:
            rules = retry.call("s3.GetBucketLifecycleConfiguration", s3.get_bucket_lifecycle_configuration, Bucket=entry.name)["Rules"]
        except ClientError as exc:
            if retry.error_code(exc) not in NO_RULE:
                raise
            rules = []
        days = [int(r["Expiration"]["Days"]) for r in rules if r.get("Status") == "Enabled" and r.get("Expiration", {}).get("Days")]
        found[name] = min(days) if days else None
    return found
