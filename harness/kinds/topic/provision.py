"""SNS topic: the ``topic`` module (topic + policy granting subscribe/publish to other accounts).

A topic's ``max_message_size`` is set after the apply with ``SetTopicAttributes``
(``MaximumMessageSize``): no provider version the modules support knows the attribute. On AWS only:
LocalStack 4.13.1 keeps SNS at 256 KiB, so there (and in the rehearsal on it) it is not set and
the scenarios relying on it are reported as not observable (:mod:`harness.scenario.execute.send`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harness import retry
from harness.kinds.key.provision import key_arn_ref
from harness.kinds.topic.spec import DEFAULT_MAX_MESSAGE_SIZE, Topic
from harness.provision.kind import RenderContext, SweptKind, tag_value
from harness.provision.manifest import Manifest, Planned
from harness.provision.naming import NAME_PREFIX, physical_name, topic_module
from harness.provision.sessions import Sessions
from harness.topology.model import Topology

MAX_SIZE_ATTRIBUTE = "MaximumMessageSize"
EMULATOR_SNS_LIMIT = "LocalStack 4.13.1 hard-codes SNS's 256 KiB limit"


def topic_arn(item: Planned) -> str:
    return f"arn:{item.partition}:sns:{item.region}:{item.account_id}:{item.name}"


class TopicKind(SweptKind):
    kind = "topic"
    group = "topics"
    module_dir = "topic"
    sweep_rank = 0
    missing_codes = frozenset({"NotFound", "NotFoundException"})

    def module_name(self, logical: str, spec: object) -> str:
        return topic_module(logical)

    def physical_name(self, ctx: RenderContext, logical: str, spec: Topic) -> str:
        return physical_name(ctx.run_id, logical, spec.fifo)

    def module_call(self, ctx: RenderContext, logical: str, spec: Topic) -> dict[str, Any]:
        call = {
            "source": ctx.source(self.module_dir),
            "providers": {"aws": ctx.provider_for(spec.account, spec.region)},
            "name": self.physical_name(ctx, logical, spec),
            "fifo": spec.fifo,
            "content_based_deduplication": spec.content_based_deduplication,
            "subscriber_account_ids": ctx.account_ids(ctx.topology.subscriber_accounts(logical)),
            "lambda_subscriber_account_ids": ctx.account_ids(ctx.topology.function_subscriber_accounts(logical)),
            "publisher_account_ids": ctx.account_ids(spec.publishers),
            "tags": ctx.tags,
        }
        if spec.kms_key:
            call["kms_master_key_id"] = key_arn_ref(spec.kms_key)
        return call

    def after_apply(self, manifest: Manifest, topology: Topology, sessions: Sessions) -> list[str]:
        """``MaximumMessageSize`` of every topic that declares one other than SNS's default (AWS only)."""
        lines = []
        for name, entry in manifest.topics.items():
            spec = topology.topics.get(name)
            if spec is None or spec.max_message_size is None or spec.max_message_size == DEFAULT_MAX_MESSAGE_SIZE:
                continue
            if sessions.target.endpoint_url:  # the emulator, or the rehearsal on it
                lines.append(f"topic {name}: max_message_size {spec.max_message_size} B not set: {EMULATOR_SNS_LIMIT} "
                             "(scenarios relying on it are reported as not observable)")
                continue
            sns = sessions.client("sns", entry.account, entry.region)
            retry.call("sns.SetTopicAttributes", sns.set_topic_attributes, policy=sessions.retry_policy,
                       TopicArn=entry.arn, AttributeName=MAX_SIZE_ATTRIBUTE, AttributeValue=str(spec.max_message_size))
            lines.append(f"topic {name}: {MAX_SIZE_ATTRIBUTE} set to {spec.max_message_size} B")
        return lines

    def discover(self, sessions: Sessions, account: str, region: str) -> Iterator[tuple[str, float | None, str]]:
        sns = sessions.client("sns", account, region)
        for page in sns.get_paginator("list_topics").paginate():
            for topic in page.get("Topics", []):
                name = topic["TopicArn"].rsplit(":", 1)[-1]
                if name.startswith(f"{NAME_PREFIX}-"):
                    subs = retry.call("sns.ListSubscriptionsByTopic", sns.list_subscriptions_by_topic, TopicArn=topic["TopicArn"])
                    count = len(subs.get("Subscriptions", []))
                    yield name, None, f"with {count} subscription(s)" if count else ""

    def exists(self, sessions: Sessions, item: Planned) -> None:
        sns = sessions.client("sns", item.account, item.region)
        retry.call("sns.GetTopicAttributes", sns.get_topic_attributes, TopicArn=topic_arn(item))

    def run_tag(self, sessions: Sessions, item: Planned, tag_key: str) -> str | None:
        sns = sessions.client("sns", item.account, item.region)
        tags = retry.call("sns.ListTagsForResource", sns.list_tags_for_resource, ResourceArn=topic_arn(item))
        return tag_value(tags.get("Tags", []), tag_key)

    def delete(self, sessions: Sessions, item: Planned) -> None:
        """Deleting a topic deletes its subscriptions too."""
        sns = sessions.client("sns", item.account, item.region)
        retry.call("sns.DeleteTopic", sns.delete_topic, TopicArn=topic_arn(item))


PART = TopicKind()
