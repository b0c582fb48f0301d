"""What a run's resources are called: Terraform identifiers, physical AWS names and tags.

The name mappings themselves (provider aliases, module names, physical names) belong to the model,
so validation can check they are one-to-one before anything is rendered: they live in
:mod:`harness.topology.names` and are re-exported here, so render, the plan of physical resources
and the leftover sweep can never disagree. This module adds the tags every taggable resource
carries: the run id (the sweep's proof of ownership) and the topology name.
"""

from __future__ import annotations

from harness.topology.names import (
    NAME_PREFIX,
    ROLE_PATH,
    bucket_module,
    bucket_name,
    function_module,
    key_module,
    physical_name,
    provider_alias,
    queue_module,
    receipts_queue_name,
    subscription_module,
    tf_ident,
    topic_module,
)

__all__ = [
    "MANAGED_BY",
    "NAME_PREFIX",
    "ROLE_PATH",
    "TAG_MANAGED_BY",
    "TAG_RUN_ID",
    "TAG_TOPOLOGY",
    "bucket_module",
    "bucket_name",
    "function_module",
    "key_module",
    "physical_name",
    "provider_alias",
    "queue_module",
    "receipts_queue_name",
    "run_tags",
    "subscription_module",
    "tf_ident",
    "topic_module",
]

TAG_RUN_ID = "harness:run-id"
TAG_TOPOLOGY = "harness:topology"
TAG_MANAGED_BY = "managed-by"
MANAGED_BY = "e2e-harness"


def run_tags(run_id: str, topology: str) -> dict[str, str]:
    """The tags every taggable resource of the run carries."""
    return {TAG_RUN_ID: run_id, TAG_TOPOLOGY: topology, TAG_MANAGED_BY: MANAGED_BY}
