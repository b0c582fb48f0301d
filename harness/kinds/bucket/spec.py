"""``buckets:``: payload buckets, who may write and read (and delete) payloads, the key they use."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from harness.topology.drafts import Drafts, OwnedDraft
from harness.topology.kind import KindSpec, NameClaim, need
from harness.topology.names import bucket_module, bucket_name
from harness.topology.readers import grantees, logical_name, owned, place, section
from harness.topology.sourced_yaml import Node, quote

BUCKET_NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,29}")  # the harness prefixes it; <= 63 in all
# Suffixes S3 reserves for its own bucket types; the logical name ends the physical bucket name.
BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3")
BUCKET_KEYS = ("account", "region", "readers", "writers", "readers_may_delete", "kms_key", "expire_after_days")
EXPIRY_MAX_DAYS = 3650


@dataclass(frozen=True)
class Bucket:
    name: str
    account: str
    region: str
    readers: tuple[str, ...] = ()  # accounts granted s3:GetObject on payloads
    writers: tuple[str, ...] = ()  # other accounts granted s3:PutObject (senders that offload here)
    readers_may_delete: bool = False  # also s3:DeleteObject (consumers delete payloads, as Java does)
    kms_key: str | None = None  # logical name of the KMS key payloads are stored with (SSE-KMS)
    # Payload objects expire this many days after their upload (an S3 lifecycle rule, set after the
    # apply: harness.provision.payload_expiry); None: they stay until the run is destroyed.
    expire_after_days: int | None = None


@dataclass
class BucketDraft(OwnedDraft):
    readers: list[str] = field(default_factory=list)
    writers: list[str] = field(default_factory=list)
    readers_may_delete: bool = False
    expire_after_days: int | None = None


class BucketSpec(KindSpec):
    name = "bucket"
    group = "buckets"
    keys = BUCKET_KEYS
    model = Bucket
    example = "payloads: {account: A, region: us-east-1, readers: [B]}"

    def read(self, d: Drafts, node: Node) -> None:
        for name, value in section(node, "bucket").items():
            draft = BucketDraft(name, value)
            draft.valid_name = logical_name(name, value, "bucket", BUCKET_NAME_RE, 30)
            if draft.valid_name:
                if name.endswith("-"):
                    value.problem(f"{quote(name)} ends with '-', which S3 bucket names may not; write {name.rstrip('-')}")
                for suffix in BUCKET_RESERVED_SUFFIXES:
                    if name.endswith(suffix):
                        value.problem(f"S3 reserves the suffix {suffix}; choose a name not ending in it")
            d.buckets[name] = draft
            fields = owned(d, name, value, "bucket", BUCKET_KEYS)
            if fields is None:
                continue
            place(d, draft, fields)
            if "readers" in fields:
                draft.readers = grantees(d, fields["readers"], draft.account, "bucket")
            if "writers" in fields:
                draft.writers = grantees(d, fields["writers"], draft.account, "bucket")
            if "readers_may_delete" in fields:
                v = fields["readers_may_delete"].boolean(hint="write readers_may_delete: true or false")
                draft.readers_may_delete = bool(v)
            if "expire_after_days" in fields:
                draft.expire_after_days = fields["expire_after_days"].integer(
                    1, EXPIRY_MAX_DAYS, hint="e.g. expire_after_days: 7 (payload objects are deleted 7 days after their upload)")

    def build(self, draft: BucketDraft, d: Drafts) -> Bucket:
        return Bucket(
            name=draft.name,
            account=need(d, draft.account, f"buckets.{draft.name}.account").value,
            region=need(d, draft.region, f"buckets.{draft.name}.region").value,
            readers=tuple(draft.readers),
            writers=tuple(draft.writers),
            readers_may_delete=draft.readers_may_delete,
            kms_key=draft.kms_key.value if draft.kms_key else None,
            expire_after_days=draft.expire_after_days,
        )

    def claims(self, draft: BucketDraft, d: Drafts) -> list[NameClaim]:
        if not draft.valid_name:
            return []
        who = f"bucket {quote(draft.name)}"
        out = [NameClaim(who, bucket_module(draft.name), "Terraform module", draft.node)]
        ids = {a.name: a.id for a in d.accounts.values() if a.id}
        if draft.account and draft.account.value in ids:
            out.append(NameClaim(who, bucket_name("<run-id>", draft.name, ids[draft.account.value]), "S3 bucket name", draft.node))
        return out

    def key_uses(self, draft: BucketDraft) -> list[tuple[str, str, str]]:
        """Each writer encrypts (GenerateDataKey for SSE-KMS); each reader decrypts."""
        return [(a, "encrypt", "writer") for a in draft.writers] + [(a, "decrypt", "reader") for a in draft.readers]


PART = BucketSpec()
