"""Topology → one Terraform root module (JSON syntax) for one run.

The root has one aliased ``aws`` provider per (account, region) in use and one module call per
topic, queue, bucket and subscription, each wired to its provider. Physical names carry the run id
(``hx-<run-id>-<logical>``) so parallel runs never collide, and everything taggable is tagged with
the run id and topology name. One output, ``resources``, feeds the run manifest.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from harness import paths
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

@dataclass(frozen=True)
class RenderedRoot:
    document: dict
    providers: dict[str, tuple[str, str]]  # alias -> (account name, region)

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
    topic_ref = {name: f"module.{topic_module(name)}" for name in topology.topics}
    queue_ref = {name: f"module.{queue_module(name)}" for name in topology.queues}

    for name, topic in topology.topics.items():
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
    return RenderedRoot(document, providers)
