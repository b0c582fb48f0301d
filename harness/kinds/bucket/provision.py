"""S3 payload bucket: the ``payload-bucket`` module (bucket, ownership, public-access block, policy
for reader and writer accounts and TLS). Offloaded payloads live here; ``down`` always empties it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from harness import retry
from harness.kinds.bucket.spec import Bucket
from harness.provision.kind import RenderContext, SweptKind, epoch, tag_value
from harness.provision.manifest import Manifest, Planned
from harness.provision.naming import NAME_PREFIX, bucket_module, bucket_name
from harness.provision.payload_expiry import set_payload_expiry
from harness.provision.sessions import Sessions

if TYPE_CHECKING:
    from types_boto3_s3.client import S3Client

    from harness.topology.model import Topology


class BucketKind(SweptKind):
    kind = "bucket"
    group = "buckets"
    module_dir = "payload-bucket"
    sweep_rank = 2
    missing_codes = frozenset({"404", "NoSuchBucket", "NotFound"})
    tagged_at_create = False  # tagged by a second call after CreateBucket

    def module_name(self, logical: str, spec: object) -> str:
        return bucket_module(logical)

    def physical_name(self, ctx: RenderContext, logical: str, spec: Bucket) -> str:
        return bucket_name(ctx.run_id, logical, ctx.topology.account_id(spec.account))

    def module_call(self, ctx: RenderContext, logical: str, spec: Bucket) -> dict[str, Any]:
        return {
            "source": ctx.source(self.module_dir),
            "providers": {"aws": ctx.provider_for(spec.account, spec.region)},
            "name": self.physical_name(ctx, logical, spec),
            "reader_account_ids": ctx.account_ids(spec.readers),
            "writer_account_ids": ctx.account_ids(spec.writers),
            "readers_may_delete": spec.readers_may_delete,
            "object_ownership": ctx.profile.bucket_object_ownership(),
            "force_destroy": True,  # payloads are test data; `down` must never leave a bucket behind
            "tags": ctx.tags,
        }

    def after_apply(self, manifest: Manifest, topology: Topology, sessions: Sessions) -> list[str]:
        """The payload expiry rule (``expire_after_days:``): no Terraform form of it works on 3.39 .. 6.x."""
        return set_payload_expiry(manifest, topology, sessions)

    def discover(self, sessions: Sessions, account: str, region: str) -> Iterator[tuple[str, float | None, str]]:
        s3 = sessions.client("s3", account, region)
        for bucket in retry.call("s3.ListBuckets", s3.list_buckets).get("Buckets", []):
            name = bucket["Name"]
            if not (name.startswith(f"{NAME_PREFIX}-") and name.endswith(f"-{sessions.account_id(account)}")):
                continue
            location = retry.call("s3.GetBucketLocation", s3.get_bucket_location, Bucket=name).get("LocationConstraint")
            if (location or "us-east-1") == region:
                yield name, epoch(bucket.get("CreationDate")), ""

    def exists(self, sessions: Sessions, item: Planned) -> None:
        s3 = sessions.client("s3", item.account, item.region)
        retry.call("s3.HeadBucket", s3.head_bucket, Bucket=item.name)

    def run_tag(self, sessions: Sessions, item: Planned, tag_key: str) -> str | None:
        s3 = sessions.client("s3", item.account, item.region)
        try:
            tags = retry.call("s3.GetBucketTagging", s3.get_bucket_tagging, Bucket=item.name).get("TagSet", [])
        except ClientError as exc:
            if retry.error_code(exc) == "NoSuchTagSet":
                return None
            raise
        return tag_value(tags, tag_key)

    def prepare_delete(self, sessions: Sessions, item: Planned) -> list[str]:
        """Abort the bucket's unfinished multipart uploads (a payload upload killed mid-way). On AWS
        their parts stay billed, and neither DeleteBucket nor Terraform's force_destroy aborts them."""
        s3 = sessions.client("s3", item.account, item.region)
        aborted = 0
        try:
            for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=item.name):
                for upload in page.get("Uploads", []):
                    retry.call(
                        "s3.AbortMultipartUpload", s3.abort_multipart_upload,
                        Bucket=item.name, Key=upload["Key"], UploadId=upload["UploadId"],
                    )
                    aborted += 1
        except ClientError as exc:
            if retry.error_code(exc) not in self.missing_codes:
                raise
        if not aborted:
            return []
        return [f"aborted {aborted} unfinished multipart upload{'' if aborted == 1 else 's'} in s3://{item.name} ({item.account}/{item.region})"]

    def delete(self, sessions: Sessions, item: Planned) -> None:
        self.prepare_delete(sessions, item)  # the sweep reports them first; this keeps delete complete alone
        _empty_and_delete_bucket(sessions.client("s3", item.account, item.region), item.name)


def _empty_and_delete_bucket(s3: S3Client, bucket: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        keys = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        for start in range(0, len(keys), 1000):
            retry.call("s3.DeleteObjects", s3.delete_objects, Bucket=bucket, Delete={"Objects": keys[start:start + 1000], "Quiet": True})
    retry.call("s3.DeleteBucket", s3.delete_bucket, Bucket=bucket)


PART = BucketKind()
