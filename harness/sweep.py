"""Leftover sweep: a run's resources that exist although Terraform's state does not know them.

Terraform records a resource in its state only once the create call has returned. Interrupt it
(Ctrl-C, a killed CI job) while a create is in flight and the object can exist outside the state,
so ``terraform destroy`` cannot see it: an S3 bucket created a moment before the interrupt is the
usual case. The harness knows every physical name a run plans to create (``hx-<run-id>-…``, the
manifest's ``planned`` list), so after each destroy it probes exactly those names in their account
and region and deletes what is still there.

It never deletes what it did not create: before the apply, :func:`probe` records which planned
names already existed (``preexisting`` in the manifest: a colliding ``--run-id``); those are left
alone. When that record is missing (the probe failed), the sweep only reports.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness import retry
from harness.manifest import Planned
from harness.sessions import Sessions

log = logging.getLogger(__name__)

_QUEUE_MISSING = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}
_TOPIC_MISSING = {"NotFound", "NotFoundException"}
_BUCKET_MISSING = {"404", "NoSuchBucket", "NotFound"}


def _exists(sessions: Sessions, item: Planned) -> bool:
    """Whether ``item`` exists in its account and region. Other errors propagate."""
    try:
        if item.kind == "queue":
            sqs = sessions.client("sqs", item.account, item.region)
            retry.call("sqs.GetQueueUrl", sqs.get_queue_url, QueueName=item.name)
        elif item.kind == "topic":
            sns = sessions.client("sns", item.account, item.region)
            retry.call("sns.GetTopicAttributes", sns.get_topic_attributes, TopicArn=item.topic_arn())
        else:
            s3 = sessions.client("s3", item.account, item.region)
            retry.call("s3.HeadBucket", s3.head_bucket, Bucket=item.name)
    except ClientError as exc:
        code = retry.error_code(exc)
        if code in _QUEUE_MISSING | _TOPIC_MISSING | _BUCKET_MISSING:
            return False
        if item.kind == "bucket" and code in ("403", "AccessDenied"):
            return False  # the name is someone else's bucket: not ours to touch
        raise
    return True


def probe(sessions: Sessions, planned: Iterable[Planned]) -> list[str]:
    """Labels of planned resources that already exist (taken before an apply)."""
    return [p.label for p in planned if _exists(sessions, p)]


def _delete(sessions: Sessions, item: Planned) -> None:
    if item.kind == "queue":
        sqs = sessions.client("sqs", item.account, item.region)
        url = retry.call("sqs.GetQueueUrl", sqs.get_queue_url, QueueName=item.name)["QueueUrl"]
        retry.call("sqs.DeleteQueue", sqs.delete_queue, QueueUrl=url)
    elif item.kind == "topic":
        sns = sessions.client("sns", item.account, item.region)
        retry.call("sns.DeleteTopic", sns.delete_topic, TopicArn=item.topic_arn())
    else:
        _empty_and_delete_bucket(sessions.client("s3", item.account, item.region), item.name)


def _empty_and_delete_bucket(s3: Any, bucket: str) -> None:
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for upload in page.get("Uploads", []):
            retry.call(
                "s3.AbortMultipartUpload", s3.abort_multipart_upload,
                Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"],
            )
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        keys = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        for start in range(0, len(keys), 1000):
            retry.call("s3.DeleteObjects", s3.delete_objects, Bucket=bucket, Delete={"Objects": keys[start:start + 1000], "Quiet": True})
    retry.call("s3.DeleteBucket", s3.delete_bucket, Bucket=bucket)


@dataclass
class SweepResult:
    deleted: list[str]
    foreign: list[str]  # existed before the apply: left alone
    unverified: list[str]  # found, but no pre-apply record to prove they are ours: left alone
    failed: list[str]  # "label: error"


def sweep(sessions: Sessions, planned: Iterable[Planned], preexisting: list[str] | None) -> SweepResult:
    """Delete planned resources that still exist after a destroy, except pre-existing ones."""
    result = SweepResult([], [], [], [])
    # Topics first (their subscriptions go with them), then queues, then buckets.
    for item in sorted(planned, key=lambda p: Planned.KINDS.index(p.kind)):
        try:
            if not _exists(sessions, item):
                continue
            if preexisting is None:
                result.unverified.append(item.label)
                continue
            if item.label in preexisting:
                result.foreign.append(item.label)
                continue
            log.warning("%s survived the destroy (not in Terraform's state); deleting it", item.label)
            _delete(sessions, item)
            result.deleted.append(item.label)
        except (ClientError, BotoCoreError) as exc:
            result.failed.append(f"{item.label}: {retry.error_code(exc)}: {exc}")
    return result
