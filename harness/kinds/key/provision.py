"""KMS key: the ``kms`` module (a customer-managed key, its alias ``alias/hx-<run-id>-<logical>`` and
a least-privilege key policy). Topics, queues and payload buckets that name the key use its ARN.

The key policy's SNS statement names the topics that deliver into the queues the key encrypts. Their
ARNs are built here from the names the run gives them rather than read from the topic modules:
a key that encrypts a topic *and* a queue that topic feeds would otherwise be a dependency cycle.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harness import retry
from harness.kinds.key.spec import Key
from harness.provision.kind import RenderContext, SweptKind, epoch, ref
from harness.provision.manifest import Planned
from harness.provision.naming import NAME_PREFIX, key_module, physical_name
from harness.provision.sessions import Sessions
from harness.topology.regions import partition_of

PENDING_WINDOW_DAYS = 7  # the shortest AWS allows: the keys are the run's test keys


def key_arn_ref(key: str) -> str:
    """What a topic, queue or bucket module call passes as its key: the key module's ARN."""
    return ref(key_module(key), "arn")


class KeyKind(SweptKind):
    kind = "key"
    group = "keys"
    module_dir = "kms"
    sweep_rank = 3
    missing_codes = frozenset({"NotFoundException"})

    def module_name(self, logical: str, spec: object) -> str:
        return key_module(logical)

    def physical_name(self, ctx: RenderContext, logical: str, spec: Key) -> str:
        """The alias name (without ``alias/``): a key itself has only a generated id."""
        return physical_name(ctx.run_id, logical)

    def module_call(self, ctx: RenderContext, logical: str, spec: Key) -> dict[str, Any]:
        topo = ctx.topology
        topics = sorted({t for name, q in topo.queues.items() if q.kms_key == logical for t in topo.topics_feeding(name)})
        return {
            "source": ctx.source(self.module_dir),
            "providers": {"aws": ctx.provider_for(spec.account, spec.region)},
            "alias": self.physical_name(ctx, logical, spec),
            "label": f"{topo.name} key {logical} of run {ctx.run_id} (messaging e2e harness)",
            "encrypt_account_ids": ctx.account_ids(spec.encrypt),
            "decrypt_account_ids": ctx.account_ids(spec.decrypt),
            "sns_source_topic_arns": [_topic_arn(ctx, t) for t in topics],
            "deletion_window_in_days": PENDING_WINDOW_DAYS,
            "tags": ctx.tags,
        }

    def discover(self, sessions: Sessions, account: str, region: str) -> Iterator[tuple[str, float | None, str]]:
        """KMS keys by their alias (a key itself has only a generated id)."""
        kms = sessions.client("kms", account, region)
        for page in kms.get_paginator("list_aliases").paginate():
            for alias in page.get("Aliases", []):
                name = alias.get("AliasName", "").removeprefix("alias/")
                if name.startswith(f"{NAME_PREFIX}-") and alias.get("TargetKeyId"):
                    yield name, epoch(alias.get("CreationDate")), ""

    def exists(self, sessions: Sessions, item: Planned) -> None:
        kms = sessions.client("kms", item.account, item.region)
        retry.call("kms.DescribeKey", kms.describe_key, KeyId=f"alias/{item.name}")

    def run_tag(self, sessions: Sessions, item: Planned, tag_key: str) -> str | None:
        kms = sessions.client("kms", item.account, item.region)
        key_id = retry.call("kms.DescribeKey", kms.describe_key, KeyId=f"alias/{item.name}")["KeyMetadata"]["KeyId"]
        tags = retry.call("kms.ListResourceTags", kms.list_resource_tags, KeyId=key_id).get("Tags", [])
        return next((t["TagValue"] for t in tags if t["TagKey"] == tag_key), None)

    def delete(self, sessions: Sessions, item: Planned) -> None:
        """KMS never deletes a key at once: schedule it (7 days) and remove the alias."""
        kms = sessions.client("kms", item.account, item.region)
        key_id = retry.call("kms.DescribeKey", kms.describe_key, KeyId=f"alias/{item.name}")["KeyMetadata"]["KeyId"]
        retry.call("kms.DeleteAlias", kms.delete_alias, AliasName=f"alias/{item.name}")
        retry.call("kms.ScheduleKeyDeletion", kms.schedule_key_deletion, KeyId=key_id, PendingWindowInDays=PENDING_WINDOW_DAYS)


def _topic_arn(ctx: RenderContext, topic: str) -> str:
    t = ctx.topology.topics[topic]
    partition = partition_of(t.region) or "aws"
    return f"arn:{partition}:sns:{t.region}:{ctx.topology.account_id(t.account)}:{physical_name(ctx.run_id, topic, t.fifo)}"


PART = KeyKind()
