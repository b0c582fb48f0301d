"""SQS queue: the ``queue`` module (queue, optional redrive, policy admitting feeding topics and
producer accounts)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harness import retry
from harness.kinds.key.provision import key_arn_ref
from harness.kinds.queue.spec import Queue
from harness.provision.kind import RenderContext, SweptKind, epoch, ref
from harness.provision.manifest import Planned
from harness.provision.naming import NAME_PREFIX, function_module, physical_name, queue_module, topic_module
from harness.provision.sessions import Sessions


def _queue_url(sessions: Sessions, item: Planned) -> str:
    sqs = sessions.client("sqs", item.account, item.region)
    return retry.call("sqs.GetQueueUrl", sqs.get_queue_url, QueueName=item.name)["QueueUrl"]


class QueueKind(SweptKind):
    kind = "queue"
    group = "queues"
    module_dir = "queue"
    output_fields = ("arn", "url", "name")
    sweep_rank = 1
    missing_codes = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})

    def module_name(self, logical: str, spec: object) -> str:
        return queue_module(logical)

    def physical_name(self, ctx: RenderContext, logical: str, spec: Queue) -> str:
        return physical_name(ctx.run_id, logical, spec.fifo)

    def module_call(self, ctx: RenderContext, logical: str, spec: Queue) -> dict[str, Any]:
        call: dict[str, Any] = {
            "source": ctx.source(self.module_dir),
            "providers": {"aws": ctx.provider_for(spec.account, spec.region)},
            "name": self.physical_name(ctx, logical, spec),
            "fifo": spec.fifo,
            "content_based_deduplication": spec.content_based_deduplication,
            "visibility_timeout_seconds": spec.visibility_timeout,
            "message_retention_seconds": spec.retention,
            "max_message_size": ctx.profile.queue_max_message_size(),
            "source_topic_arns": [ref(topic_module(t), "arn") for t in ctx.topology.topics_feeding(logical)],
            "producer_account_ids": ctx.account_ids(spec.producers),
            # execution roles of other accounts' functions sending their failure records here
            "sender_role_arns": [ref(function_module(f), "role_arn") for f in ctx.topology.functions_failing_to(logical)
                                 if ctx.topology.functions[f].account != spec.account],
            "tags": ctx.tags,
        }
        if spec.kms_key:
            call["kms_master_key_id"] = key_arn_ref(spec.kms_key)
        if spec.dead_letter:
            call["redrive"] = {
                "dead_letter_queue_arn": ref(queue_module(spec.dead_letter.queue), "arn"),
                "max_receive_count": spec.dead_letter.max_receive_count,
            }
        return call

    def discover(self, sessions: Sessions, account: str, region: str) -> Iterator[tuple[str, float | None, str]]:
        sqs = sessions.client("sqs", account, region)
        for page in sqs.get_paginator("list_queues").paginate(QueueNamePrefix=f"{NAME_PREFIX}-", PaginationConfig={"PageSize": 1000}):
            for url in page.get("QueueUrls", []):
                attrs = retry.call("sqs.GetQueueAttributes", sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["CreatedTimestamp"])
                yield url.rstrip("/").rsplit("/", 1)[-1], epoch(attrs.get("Attributes", {}).get("CreatedTimestamp")), ""

    def exists(self, sessions: Sessions, item: Planned) -> None:
        _queue_url(sessions, item)

    def run_tag(self, sessions: Sessions, item: Planned, tag_key: str) -> str | None:
        sqs = sessions.client("sqs", item.account, item.region)
        tags = retry.call("sqs.ListQueueTags", sqs.list_queue_tags, QueueUrl=_queue_url(sessions, item))
        return tags.get("Tags", {}).get(tag_key)

    def delete(self, sessions: Sessions, item: Planned) -> None:
        sqs = sessions.client("sqs", item.account, item.region)
        retry.call("sqs.DeleteQueue", sqs.delete_queue, QueueUrl=_queue_url(sessions, item))


PART = QueueKind()
