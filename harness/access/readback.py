"""Read the policies of applied resources back from the service, through boto3 clients passed in.

What gets judged is what the queue, topic or bucket carries now — a policy edited by hand or by
another tool included — not what the topology file says:

- queue:  ``GetQueueAttributes(AttributeNames=["Policy"])`` (no ``Policy`` attribute = no policy)
- topic:  ``GetTopicAttributes`` → ``Attributes["Policy"]`` (SNS always has one: its default
  policy, which admits only the owner account, until a custom one replaces it)
- bucket: ``GetBucketPolicy`` (``NoSuchBucketPolicy`` = no policy)
- key:    ``GetKeyPolicy(PolicyName="default")`` (as the key's own account)

Each reader takes a client for the resource's own account and region. :func:`read_applied` reads
a batch, asking ``client_for(service, account, region)`` for each client.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from harness.access.conditions import split_arn
from harness.access.policy import AccessError, Policy, parse_policy

QUEUE_POLICY, TOPIC_POLICY, BUCKET_POLICY, KEY_POLICY = "queue policy", "topic policy", "bucket policy", "key policy"


class ReadbackError(AccessError):
    """A policy could not be read from the applied resource."""


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def read_queue_policy(sqs: Any, queue_url: str) -> Policy:
    try:
        attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy"]).get("Attributes", {})
    except ClientError as err:
        raise ReadbackError(f"cannot read the policy of queue {queue_url}: {_code(err)}: {err}; is the run still applied?") from err
    except BotoCoreError as err:
        raise ReadbackError(f"cannot read the policy of queue {queue_url}: {err}") from err
    return parse_policy(attrs.get("Policy"), QUEUE_POLICY)


def read_topic_policy(sns: Any, topic_arn: str) -> Policy:
    try:
        attrs = sns.get_topic_attributes(TopicArn=topic_arn).get("Attributes", {})
    except ClientError as err:
        raise ReadbackError(f"cannot read the policy of topic {topic_arn}: {_code(err)}: {err}; is the run still applied?") from err
    except BotoCoreError as err:
        raise ReadbackError(f"cannot read the policy of topic {topic_arn}: {err}") from err
    return parse_policy(attrs.get("Policy"), TOPIC_POLICY)


def read_bucket_policy(s3: Any, bucket: str) -> Policy:
    try:
        text = s3.get_bucket_policy(Bucket=bucket).get("Policy")
    except ClientError as err:
        if _code(err) == "NoSuchBucketPolicy":
            return parse_policy(None, BUCKET_POLICY)
        raise ReadbackError(f"cannot read the policy of bucket {bucket}: {_code(err)}: {err}; is the run still applied?") from err
    except BotoCoreError as err:
        raise ReadbackError(f"cannot read the policy of bucket {bucket}: {err}") from err
    return parse_policy(text, BUCKET_POLICY)


def read_key_policy(kms: Any, key_arn: str) -> Policy:
    """The key policy (every KMS key has exactly one, named ``default``); ``kms`` must act as the
    key's own account: GetKeyPolicy does not work across accounts."""
    try:
        text = kms.get_key_policy(KeyId=key_arn, PolicyName="default").get("Policy")
    except ClientError as err:
        raise ReadbackError(f"cannot read the policy of key {key_arn}: {_code(err)}: {err}; is the run still applied?") from err
    except BotoCoreError as err:
        raise ReadbackError(f"cannot read the policy of key {key_arn}: {err}") from err
    return parse_policy(text, KEY_POLICY)


@dataclass(frozen=True)
class AppliedResource:
    """One applied queue / topic / bucket. ``url`` is the queue URL (queues only); a bucket needs
    its ``account`` and ``region`` (its ARN carries neither)."""

    kind: Literal["queue", "topic", "bucket", "key"]
    arn: str
    url: str | None = None
    account: str | None = None
    region: str | None = None

    def placement(self) -> tuple[str, str]:
        parts = split_arn(self.arn)
        account = self.account or (parts[3] if parts else "")
        region = self.region or (parts[2] if parts else "")
        if not account or not region:
            raise ReadbackError(f"{self.kind} {self.arn}: give account= and region= (an S3 ARN carries neither)")
        return account, region


ClientFor = Callable[[str, str, str], Any]  # (service, account id, region) -> boto3 client


def read_policy(resource: AppliedResource, client_for: ClientFor) -> Policy:
    account, region = resource.placement()
    if resource.kind == "queue":
        if not resource.url:
            raise ReadbackError(f"queue {resource.arn}: its URL is needed to read its policy")
        return read_queue_policy(client_for("sqs", account, region), resource.url)
    if resource.kind == "topic":
        return read_topic_policy(client_for("sns", account, region), resource.arn)
    if resource.kind == "key":
        return read_key_policy(client_for("kms", account, region), resource.arn)
    return read_bucket_policy(client_for("s3", account, region), resource.arn.split(":::", 1)[-1])


def read_applied(resources: Sequence[AppliedResource], client_for: ClientFor) -> dict[str, Policy]:
    """ARN → policy for every resource, ready for :class:`harness.access.verdicts.AppliedPolicies`."""
    return {r.arn: read_policy(r, client_for) for r in resources}
