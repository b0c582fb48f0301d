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
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness import retry
from harness.errors import HarnessError
from harness.manifest import Planned
from harness.sessions import Sessions

log = logging.getLogger(__name__)

_MISSING = {
    "queue": {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"},
    "topic": {"NotFound", "NotFoundException"},
    "bucket": {"404", "NoSuchBucket", "NotFound"},
}
_FORBIDDEN = {"403", "AccessDenied", "AuthorizationError", "AccessDeniedException"}


class Presence(Enum):
    ABSENT = "absent"
    PRESENT = "present"
    FORBIDDEN = "forbidden"  # exists as far as we can tell, but this account may not inspect it


def _queue_url(sessions: Sessions, item: Planned) -> str:
    sqs = sessions.client("sqs", item.account, item.region)
    return retry.call("sqs.GetQueueUrl", sqs.get_queue_url, QueueName=item.name)["QueueUrl"]


def presence(sessions: Sessions, item: Planned) -> Presence:
    """Whether ``item`` exists in its account and region. Unexpected errors propagate."""
    try:
        if item.kind == "queue":
            _queue_url(sessions, item)
        elif item.kind == "topic":
            sns = sessions.client("sns", item.account, item.region)
            retry.call("sns.GetTopicAttributes", sns.get_topic_attributes, TopicArn=item.topic_arn())
        else:
            s3 = sessions.client("s3", item.account, item.region)
            retry.call("s3.HeadBucket", s3.head_bucket, Bucket=item.name)
    except ClientError as exc:
        code = retry.error_code(exc)
        if code in _MISSING[item.kind]:
            return Presence.ABSENT
        if code in _FORBIDDEN:
            return Presence.FORBIDDEN
        raise
    return Presence.PRESENT


def probe(sessions: Sessions, planned: Iterable[Planned]) -> list[str]:
    """Labels of planned names that are already taken (present, or someone else's bucket)."""
    return [p.label for p in planned if presence(sessions, p) is not Presence.ABSENT]


def _run_tag(sessions: Sessions, item: Planned, tag_key: str) -> str | None:
    """The value of ``tag_key`` on the resource, or None when it has no such tag."""
    if item.kind == "queue":
        sqs = sessions.client("sqs", item.account, item.region)
        return retry.call("sqs.ListQueueTags", sqs.list_queue_tags, QueueUrl=_queue_url(sessions, item)).get("Tags", {}).get(tag_key)
    if item.kind == "topic":
        sns = sessions.client("sns", item.account, item.region)
        tags = retry.call("sns.ListTagsForResource", sns.list_tags_for_resource, ResourceArn=item.topic_arn()).get("Tags", [])
        return next((t["Value"] for t in tags if t["Key"] == tag_key), None)
    s3 = sessions.client("s3", item.account, item.region)
    try:
        tags = retry.call("s3.GetBucketTagging", s3.get_bucket_tagging, Bucket=item.name).get("TagSet", [])
    except ClientError as exc:
        if retry.error_code(exc) == "NoSuchTagSet":
            return None
        raise
    return next((t["Value"] for t in tags if t["Key"] == tag_key), None)


@dataclass
class SweepResult:
    deleted: list[str] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)  # "label: why" — found, not provably ours
    failed: list[str] = field(default_factory=list)  # "label: error"
    aborted: list[str] = field(default_factory=list)  # unfinished multipart uploads, per bucket


def _delete(sessions: Sessions, item: Planned, result: SweepResult) -> bool:
    """Delete ``item``. False when it turned out to be gone already."""
    try:
        if item.kind == "queue":
            sqs = sessions.client("sqs", item.account, item.region)
            retry.call("sqs.DeleteQueue", sqs.delete_queue, QueueUrl=_queue_url(sessions, item))
        elif item.kind == "topic":
            sns = sessions.client("sns", item.account, item.region)
            retry.call("sns.DeleteTopic", sns.delete_topic, TopicArn=item.topic_arn())
        else:
            aborted = abort_multipart_uploads(sessions, item)
            if aborted:
                result.aborted.append(uploads_label(aborted, item))
            _empty_and_delete_bucket(sessions.client("s3", item.account, item.region), item.name)
    except ClientError as exc:
        if retry.error_code(exc) in _MISSING[item.kind]:
            return False  # the destroy's delete became visible meanwhile
        raise
    return True


def abort_multipart_uploads(sessions: Sessions, item: Planned) -> int:
    """Abort every unfinished multipart upload in bucket ``item``; how many there were.

    A payload upload killed mid-way leaves one behind. On AWS it keeps its parts (billed) and
    Terraform's ``force_destroy`` does not abort it, so a bucket is cleared of them before it is
    deleted. A bucket that does not exist has none."""
    s3 = sessions.client("s3", item.account, item.region)
    aborted = 0
    try:
        for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=item.name):
            for upload in page.get("Uploads", []):
                retry.call(
                    "s3.AbortMultipartUpload", s3.abort_multipart_upload,
                    Bucket=item.name, Key=upload["Key"], UploadId=upload["UploadId"],
                )
                aborted += 1
    except ClientError as exc:
        if retry.error_code(exc) in _MISSING["bucket"]:
            return aborted
        raise
    return aborted


def uploads_label(count: int, item: Planned) -> str:
    return f"aborted {count} unfinished multipart upload{'' if count == 1 else 's'} in s3://{item.name} ({item.account}/{item.region})"


def _empty_and_delete_bucket(s3: Any, bucket: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        keys = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        for start in range(0, len(keys), 1000):
            retry.call("s3.DeleteObjects", s3.delete_objects, Bucket=bucket, Delete={"Objects": keys[start:start + 1000], "Quiet": True})
    retry.call("s3.DeleteBucket", s3.delete_bucket, Bucket=bucket)


def sweep(
    sessions: Sessions, planned: Iterable[Planned], preexisting: list[str] | None, run_tag: tuple[str, str]
) -> SweepResult:
    """Delete the run's planned resources that still exist after a destroy, when provably its own."""
    tag_key, run_id = run_tag
    result = SweepResult()
    # Topics first (their subscriptions go with them), then queues, then buckets.
    for item in sorted(planned, key=lambda p: Planned.KINDS.index(p.kind)):
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
            tag = _run_tag(sessions, item, tag_key)
            if tag is not None and tag != run_id:
                result.left_alone.append(f"{item.label}: tagged {tag_key}={tag}, another run's")
                continue
            if tag is None and item.kind != "bucket":
                result.left_alone.append(f"{item.label}: not tagged {tag_key}={run_id}")
                continue
            log.warning("%s survived the destroy (not in Terraform's state); deleting it", item.label)
            if _delete(sessions, item, result):
                result.deleted.append(item.label)
        except (ClientError, BotoCoreError, HarnessError) as exc:
            code = retry.error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
            result.failed.append(f"{item.label}: {code}: {exc}")
    return result
