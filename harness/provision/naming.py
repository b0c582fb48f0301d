"""What a run's resources are called: Terraform identifiers, physical AWS names and tags.

Every name the run's root uses comes from here, so render, the plan of physical resources and the
leftover sweep can never disagree:

* provider alias of an (account, region): ``tf_ident(f"{account}_{region}")``, e.g. ``b_eu_west_1``;
* module names: ``topic_<ident>``, ``queue_<ident>``, ``bucket_<ident>``,
  ``sub_<ident(topic)>__<ident(queue)>``;
* physical names carry the run id so parallel runs never collide: topics and queues
  ``hx-<run-id>-<logical>[.fifo]``, buckets ``hx-<run-id>-<logical>-<account-id>`` (S3 names are
  global; the account id keeps two accounts' runs apart);
* tags on everything taggable: the run id (the sweep's proof of ownership) and the topology name.
"""

from __future__ import annotations

import re

NAME_PREFIX = "hx"
TAG_RUN_ID = "harness:run-id"
TAG_TOPOLOGY = "harness:topology"
TAG_MANAGED_BY = "managed-by"
MANAGED_BY = "e2e-harness"

# TODO(merge): use harness.topology.names.tf_ident (branch `topo`; it also defines provider_alias,
# the module names and the physical names with these exact signatures: import those from there and
# keep only the tags here).
_NOT_IDENT = re.compile(r"[^a-zA-Z0-9_]")


def tf_ident(text: str) -> str:
    """A Terraform identifier: lowercase, every character outside ``[a-z0-9_]`` becomes ``_``."""
    return _NOT_IDENT.sub("_", text).lower()


def provider_alias(account: str, region: str) -> str:
    """Alias of the ``aws`` provider for one account in one region, e.g. ``b_eu_west_1``."""
    return tf_ident(f"{account}_{region}")


def topic_module(topic: str) -> str:
    return f"topic_{tf_ident(topic)}"


def queue_module(queue: str) -> str:
    return f"queue_{tf_ident(queue)}"


def bucket_module(bucket: str) -> str:
    return f"bucket_{tf_ident(bucket)}"


def subscription_module(topic: str, queue: str) -> str:
    return f"sub_{tf_ident(topic)}__{tf_ident(queue)}"


def physical_name(run_id: str, logical: str, fifo: bool = False) -> str:
    """Name of a topic or queue: ``hx-<run-id>-<logical>[.fifo]``."""
    return f"{NAME_PREFIX}-{run_id}-{logical}" + (".fifo" if fifo else "")


def bucket_name(run_id: str, logical: str, account_id: str) -> str:
    """S3 names are global: the account id keeps two accounts' runs apart as well."""
    return f"{NAME_PREFIX}-{run_id}-{logical}-{account_id}"


def run_tags(run_id: str, topology: str) -> dict[str, str]:
    """The tags every taggable resource of the run carries."""
    return {TAG_RUN_ID: run_id, TAG_TOPOLOGY: topology, TAG_MANAGED_BY: MANAGED_BY}
