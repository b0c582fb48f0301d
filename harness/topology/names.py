"""The names a topology's logical names become: Terraform identifiers and physical AWS names.

One home for the folding, so that validation (:mod:`harness.topology.cross_checks`) can prove every
mapping one-to-one and provisioning renders exactly the names that were checked:

* provider alias of an (account, region): ``tf_ident(f"{account}_{region}")``;
* module names: ``topic_<ident>``, ``queue_<ident>``, ``bucket_<ident>``, ``key_<ident>``,
  ``function_<ident>`` and ``sub_<ident(topic)>__<ident(queue or function)>``;
* physical names: topics, queues, functions (and their execution roles) and KMS key aliases (``alias/`` + it)
  ``hx-<run-id>-<logical>[.fifo]``, a function's receipts queue ``hx-<run-id>-<logical>-receipts``, buckets
  ``hx-<run-id>-<logical>-<account-id>`` (S3 names are global; the account id keeps accounts apart);
* a function's execution role lives under the IAM path ``/hx/`` (:data:`ROLE_PATH`): the nightly's
  bootstrap lets the harness create roles there only.
"""

from __future__ import annotations

import re

__all__ = [
    "NAME_PREFIX",
    "ROLE_PATH",
    "tf_ident",
    "provider_alias",
    "topic_module",
    "queue_module",
    "bucket_module",
    "subscription_module",
    "key_module",
    "function_module",
    "receipts_queue_name",
    "physical_name",
    "bucket_name",
]

NAME_PREFIX = "hx"
ROLE_PATH = f"/{NAME_PREFIX}/"  # the IAM path of every role the kit creates (a function's execution role)
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


def key_module(key: str) -> str:
    return f"key_{tf_ident(key)}"


def function_module(function: str) -> str:
    return f"function_{tf_ident(function)}"


def subscription_module(topic: str, endpoint: str) -> str:
    """A subscription's module: its topic and its endpoint (a queue or a function; their logical
    names never coincide, :mod:`harness.kinds.function.spec`)."""
    return f"sub_{tf_ident(topic)}__{tf_ident(endpoint)}"


RECEIPTS_SUFFIX = "-receipts"


def receipts_queue_name(run_id: str, function: str) -> str:
    """The queue a function's handler writes its receipts to: ``hx-<run-id>-<function>-receipts``."""
    return physical_name(run_id, function + RECEIPTS_SUFFIX)


def physical_name(run_id: str, logical: str, fifo: bool = False) -> str:
    """Name of a topic or queue: ``hx-<run-id>-<logical>[.fifo]``."""
    return f"{NAME_PREFIX}-{run_id}-{logical}" + (".fifo" if fifo else "")


def bucket_name(run_id: str, logical: str, account_id: str) -> str:
    """S3 names are global: the account id keeps two accounts' runs apart as well."""
    return f"{NAME_PREFIX}-{run_id}-{logical}-{account_id}"
