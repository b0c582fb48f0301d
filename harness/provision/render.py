"""Topology → one Terraform root module (JSON syntax) for one run.

The root has one aliased ``aws`` provider per (account, region) in use and one module call per
topic, queue, bucket and subscription, each wired to its provider. Physical names carry the run id
(``hx-<run-id>-<logical>``) so parallel runs never collide, and everything taggable is tagged with
the run id and topology name.

Render is the single source of the run's plan: besides the root document it returns every physical
resource the run will create (:class:`~harness.provision.manifest.Planned`, for the pre-apply
name check and the leftover sweep) and a typed reader of the root's one output, ``resources``,
which turns Terraform's outputs into the manifest's entries (:class:`RootOutputs`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from harness import paths
from harness.provision.manifest import Planned, ResourceEntry, SubscriptionEntry
from harness.provision.naming import (
    bucket_module,
    bucket_name,
    physical_name,
    provider_alias,
    queue_module,
    run_tags,
    subscription_module,
    topic_module,
)
from harness.provision.provider import VERSION_CONSTRAINT, ProviderProfile
from harness.provision.targets import Target
from harness.topology.model import Topology
from harness.topology.regions import partition_of


@dataclass(frozen=True)
class _Expected:
    """One logical topic, queue or bucket as render placed it, before Terraform reports its ARN."""

    group: str  # "topics" | "queues" | "buckets": the output's and the manifest's key
    logical: str
    account: str
    account_id: str
    region: str
    fifo: bool = False


@dataclass(frozen=True)
class _ExpectedSubscription:
    topic: str
    queue: str
    key: str  # the output's key, "<topic>-><queue>"
    raw_delivery: bool
    filter_policy: dict | None
    created_by: str  # account whose provider creates it (see Target.subscription_creator)


@dataclass
class AppliedResources:
    """The manifest's resource entries, read from an applied root's outputs."""

    topics: dict[str, ResourceEntry] = field(default_factory=dict)
    queues: dict[str, ResourceEntry] = field(default_factory=dict)
    buckets: dict[str, ResourceEntry] = field(default_factory=dict)
    subscriptions: list[SubscriptionEntry] = field(default_factory=list)


@dataclass(frozen=True)
class RootOutputs:
    """Reads the rendered root's ``resources`` output (``terraform output -json``) as manifest entries."""

    resources: tuple[_Expected, ...]
    subscriptions: tuple[_ExpectedSubscription, ...]

    def read(self, outputs: dict) -> AppliedResources:
        res = outputs["resources"]
        applied = AppliedResources()
        for e in self.resources:
            o = res[e.group][e.logical]
            entry = ResourceEntry(e.account, e.account_id, e.region, o["arn"], o["name"], o.get("url", ""), e.fifo)
            getattr(applied, e.group)[e.logical] = entry
        for s in self.subscriptions:
            arn = res["subscriptions"][s.key]
            applied.subscriptions.append(SubscriptionEntry(s.topic, s.queue, arn, s.raw_delivery, s.filter_policy, s.created_by))
        return applied


@dataclass(frozen=True)
class RenderedRoot:
    document: dict
    providers: dict[str, tuple[str, str]]  # alias -> (account name, region)
    planned: list[Planned]  # every physical topic, queue and bucket the run creates, exact names
    outputs: RootOutputs

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "main.tf.json"
        path.write_text(json.dumps(self.document, indent=2, sort_keys=False) + "\n")
        return path


def render_root(
    topology: Topology,
    target: Target,
    profile: ProviderProfile,
    run_id: str,
    root_dir: Path,
    modules_dir: Path = paths.MODULES_DIR,
) -> RenderedRoot:
    tags = run_tags(run_id, topology.name)
    providers: dict[str, tuple[str, str]] = {}

    def provider_for(account: str, region: str) -> str:
        alias = provider_alias(account, region)
        seen = providers.setdefault(alias, (account, region))
        if seen != (account, region):  # the topology loader refuses such accounts; a defensive check
            raise ValueError(f"provider alias clash: {seen} and {(account, region)} both map to {alias}")
        return f"aws.{alias}"

    def source(module: str) -> str:
        rel = os.path.relpath(modules_dir / module, root_dir)
        return rel if rel.startswith(".") else f"./{rel}"

    def ids(accounts) -> list[str]:
        return [topology.account_id(a) for a in accounts]

    modules: dict[str, dict] = {}
    planned: list[Planned] = []
    expected: list[_Expected] = []
    expected_subs: list[_ExpectedSubscription] = []

    def place(group: str, kind: str, logical: str, account: str, region: str, name: str, fifo: bool = False) -> None:
        account_id = topology.account_id(account)
        planned.append(Planned(kind, account, account_id, region, name, partition_of(region) or "aws"))
        expected.append(_Expected(group, logical, account, account_id, region, fifo))

    topic_ref = {name: f"module.{topic_module(name)}" for name in topology.topics}
    queue_ref = {name: f"module.{queue_module(name)}" for name in topology.queues}

    for name, topic in topology.topics.items():
        place("topics", "topic", name, topic.account, topic.region, physical_name(run_id, name, topic.fifo), topic.fifo)
        modules[topic_module(name)] = {
            "source": source("topic"),
            "providers": {"aws": provider_for(topic.account, topic.region)},
            "name": physical_name(run_id, name, topic.fifo),
            "fifo": topic.fifo,
            "content_based_deduplication": topic.content_based_deduplication,
            "subscriber_account_ids": ids(topology.subscriber_accounts(name)),
            "publisher_account_ids": ids(topic.publishers),
            "tags": tags,
        }

    for name, queue in topology.queues.items():
        place("queues", "queue", name, queue.account, queue.region, physical_name(run_id, name, queue.fifo), queue.fifo)
        call: dict = {
            "source": source("queue"),
            "providers": {"aws": provider_for(queue.account, queue.region)},
            "name": physical_name(run_id, name, queue.fifo),
            "fifo": queue.fifo,
            "content_based_deduplication": queue.content_based_deduplication,
            "visibility_timeout_seconds": queue.visibility_timeout,
            "message_retention_seconds": queue.retention,
            "max_message_size": profile.queue_max_message_size(),
            "source_topic_arns": [f"${{{topic_ref[t]}.arn}}" for t in topology.topics_feeding(name)],
            "producer_account_ids": ids(queue.producers),
            "tags": tags,
        }
        if queue.dead_letter:
            call["redrive"] = {
                "dead_letter_queue_arn": f"${{{queue_ref[queue.dead_letter.queue]}.arn}}",
                "max_receive_count": queue.dead_letter.max_receive_count,
            }
        modules[queue_module(name)] = call

    for name, bucket in topology.buckets.items():
        place("buckets", "bucket", name, bucket.account, bucket.region, bucket_name(run_id, name, topology.account_id(bucket.account)))
        modules[bucket_module(name)] = {
            "source": source("payload-bucket"),
            "providers": {"aws": provider_for(bucket.account, bucket.region)},
            "name": bucket_name(run_id, name, topology.account_id(bucket.account)),
            "reader_account_ids": ids(bucket.readers),
            "readers_may_delete": bucket.readers_may_delete,
            "object_ownership": profile.bucket_object_ownership(),
            "force_destroy": True,  # payloads are test data; `down` must never leave a bucket behind
            "tags": tags,
        }

    subscription_outputs: dict[str, str] = {}
    for sub in topology.subscriptions:
        topic = topology.topics[sub.topic]
        queue = topology.queues[sub.queue]
        creator = target.subscription_creator(topic.account, queue.account)
        expected_subs.append(_ExpectedSubscription(sub.topic, sub.queue, sub.key, sub.raw_delivery, sub.filter_policy, creator))
        mod = subscription_module(sub.topic, sub.queue)
        call = {
            "source": source("subscription"),
            "providers": {"aws": provider_for(creator, topic.region)},
            "topic_arn": f"${{{topic_ref[sub.topic]}.arn}}",
            "queue_arn": f"${{{queue_ref[sub.queue]}.arn}}",
            "raw_message_delivery": sub.raw_delivery,
            # The queue's policy must exist before SNS delivers (and on AWS before Subscribe validates).
            "depends_on": [queue_ref[sub.queue]],
        }
        if sub.filter_policy is not None:
            call["filter_policy"] = json.dumps(sub.filter_policy, sort_keys=True)
        if sub.dead_letter_queue:
            call["dead_letter_queue_arn"] = f"${{{queue_ref[sub.dead_letter_queue]}.arn}}"
            call["depends_on"].append(queue_ref[sub.dead_letter_queue])
        modules[mod] = call
        subscription_outputs[sub.key] = f"${{module.{mod}.arn}}"

    provider_blocks = []
    for alias, (account, region) in sorted(providers.items()):
        provider_blocks.append(target.provider_block(alias, topology.accounts[account], region, profile, run_id))

    version = f"= {profile.version}" if profile.source == "mirror" else VERSION_CONSTRAINT
    document = {
        "terraform": {
            "required_version": ">= 1.3",
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": version}},
        },
        "provider": {"aws": provider_blocks},
        "module": modules,
        "output": {
            "resources": {
                "value": {
                    "topics": {n: {"arn": f"${{{r}.arn}}", "name": f"${{{r}.name}}"} for n, r in topic_ref.items()},
                    "queues": {
                        n: {"arn": f"${{{r}.arn}}", "url": f"${{{r}.url}}", "name": f"${{{r}.name}}"}
                        for n, r in queue_ref.items()
                    },
                    "buckets": {
                        n: {
                            "arn": f"${{module.{bucket_module(n)}.arn}}",
                            "name": f"${{module.{bucket_module(n)}.name}}",
                        }
                        for n in topology.buckets
                    },
                    "subscriptions": subscription_outputs,
                }
            }
        },
    }
    return RenderedRoot(document, providers, planned, RootOutputs(tuple(expected), tuple(expected_subs)))
