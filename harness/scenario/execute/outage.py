"""An endpoint SNS cannot deliver to, for ``subscription_dead_letter``: the queue is deleted for the
duration of the send and restored afterwards, with the attributes and tags it had.

Why deletion: it is the one failure that both AWS and LocalStack 4.13.1 route into a subscription's
dead-letter queue. AWS also dead-letters other client-side errors (a queue policy that no longer
admits the topic, more than 10 attributes on a raw delivery), but LocalStack enforces no queue policy
and delivers 11 attributes anyway, and drops (without dead-lettering) bodies SQS refuses. A deleted
queue gives SNS a client-side error on both.

Restoring: the queue is created again under the same name, so its URL and ARN — and with them the
subscription, the redrive policies pointing at it and the manifest — stay valid. AWS refuses a
queue name for 60 s after its deletion (``QueueDeletedRecently``); that wait is bounded and logged.
Messages left in the queue are lost with it: only a scenario's own run should be using it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from harness import retry
from harness.errors import HarnessError

log = logging.getLogger(__name__)

#: Queue attributes CreateQueue takes back (the rest are counters, timestamps or the ARN).
SETTABLE = (
    "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "Policy", "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy", "RedriveAllowPolicy", "VisibilityTimeout", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled", "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit",
)
RECREATE_WAIT_SECONDS = 90.0  # AWS: 60 s after DeleteQueue before the name is free again
RECREATE_POLL_SECONDS = 5.0


@contextmanager
def queue_outage(
    sqs: Any, queue_url: str, policy: retry.RetryPolicy = retry.DEFAULT_POLICY, sleep: Callable[[float], None] = time.sleep
) -> Iterator[None]:
    """Delete the queue for the body of the ``with``; restore it (same name, attributes, tags) after."""
    attrs = retry.call("sqs.GetQueueAttributes", sqs.get_queue_attributes, policy=policy, QueueUrl=queue_url, AttributeNames=["All"])
    kept = {k: v for k, v in attrs.get("Attributes", {}).items() if k in SETTABLE}
    tags = retry.call("sqs.ListQueueTags", sqs.list_queue_tags, policy=policy, QueueUrl=queue_url).get("Tags", {})
    name = queue_url.rstrip("/").rsplit("/", 1)[-1]
    retry.call("sqs.DeleteQueue", sqs.delete_queue, policy=policy, QueueUrl=queue_url)
    log.info("queue %s deleted for a subscription dead-letter check; restored afterwards", name)
    try:
        yield
    finally:
        _recreate(sqs, name, queue_url, kept, tags, policy, sleep)


def _recreate(sqs: Any, name: str, url: str, attrs: dict[str, str], tags: dict[str, str], policy: retry.RetryPolicy,
              sleep: Callable[[float], None]) -> None:
    deadline = time.monotonic() + RECREATE_WAIT_SECONDS
    while True:
        try:
            created = retry.call("sqs.CreateQueue", sqs.create_queue, policy=policy, QueueName=name, Attributes=attrs, tags=tags)
            break
        except ClientError as err:
            if retry.error_code(err) not in ("AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently") or time.monotonic() > deadline:
                raise HarnessError(
                    f"queue {name} was deleted for a subscription dead-letter check and could not be restored "
                    f"({retry.error_code(err)}); run `harness up` again or restore it by hand"
                ) from err
            log.info("queue %s: name not free yet after its deletion (%s); retrying in %gs", name, retry.error_code(err), RECREATE_POLL_SECONDS)
            sleep(RECREATE_POLL_SECONDS)
    if created.get("QueueUrl") != url:
        raise HarnessError(f"queue {name} came back at {created.get('QueueUrl')} instead of {url}; the run's manifest no longer matches")
