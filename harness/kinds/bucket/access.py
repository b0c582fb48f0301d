"""A payload bucket's access facts: the payload-bucket module's policy (``aws_s3_bucket_policy.this``
in terraform/modules/payload-bucket/main.tf, statement for statement), how it is read back, and the
payload puts, reads and deletes the topology declares (``writers``, ``readers``,
``readers_may_delete``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.access.evaluate import Request
from harness.access.kind import AccessKind, Document, Placed
from harness.access.paths import PAYLOAD_PROBE_KEY, Hop, HopKind, payload_hop
from harness.access.policy import Policy, parse_policy
from harness.access.readback import ReadbackError, error_code, roots
from harness.kinds.bucket.spec import Bucket
from harness.provision.clients import ClientFor
from harness.topology.model import Topology
from harness.topology.regions import partition_of

if TYPE_CHECKING:
    from types_boto3_s3.client import S3Client

    from harness.access.deployment import Deployment

BUCKET_POLICY = "bucket policy"


def bucket_policy(
    bucket_arn: str, reader_account_ids: Sequence[str] = (), readers_may_delete: bool = False, writer_account_ids: Sequence[str] = ()
) -> Document:
    """The payload-bucket module's policy (always written: it carries the deny-without-TLS statement)."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    readers = roots(reader_account_ids)
    if readers:
        statements.append(
            {
                "Sid": "AllowReaderAccountsToGetPayloads",
                "Effect": "Allow",
                "Principal": {"AWS": readers},
                "Action": "s3:GetObject",
                "Resource": f"{bucket_arn}/*",
            }
        )
        statements.append(
            {
                "Sid": "AllowReaderAccountsToListPayloads",
                "Effect": "Allow",
                "Principal": {"AWS": readers},
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
            }
        )
        if readers_may_delete:
            statements.append(
                {
                    "Sid": "AllowReaderAccountsToDeletePayloads",
                    "Effect": "Allow",
                    "Principal": {"AWS": readers},
                    "Action": "s3:DeleteObject",
                    "Resource": f"{bucket_arn}/*",
                }
            )
    writers = roots(writer_account_ids)
    if writers:
        statements.append(
            {
                "Sid": "AllowWriterAccountsToPutPayloads",
                "Effect": "Allow",
                "Principal": {"AWS": writers},
                "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
                "Resource": f"{bucket_arn}/*",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def read_bucket_policy(s3: S3Client, bucket: str) -> Policy:
    """``GetBucketPolicy`` (``NoSuchBucketPolicy`` = no policy)."""
    try:
        text = s3.get_bucket_policy(Bucket=bucket).get("Policy")
    except ClientError as err:
        if error_code(err) == "NoSuchBucketPolicy":
            return parse_policy(None, BUCKET_POLICY)
        raise ReadbackError(f"cannot read the policy of bucket {bucket}: {error_code(err)}: {err}; is the run still applied?") from err
    except BotoCoreError as err:
        raise ReadbackError(f"cannot read the policy of bucket {bucket}: {err}") from err
    return parse_policy(text, BUCKET_POLICY)


class BucketAccess(AccessKind):
    kind = "bucket"
    group = "buckets"
    policy_name = BUCKET_POLICY
    capabilities = (("put", "s3:PutObject"), ("read", "s3:GetObject"), ("delete", "s3:DeleteObject"))

    def place(self, topology: Topology, name: str, spec: Bucket) -> Placed:
        arn = f"arn:{partition_of(spec.region) or 'aws'}:s3:::{name}"
        return Placed(name, arn, topology.account_id(spec.account), spec.region, kms_key=spec.kms_key or "")

    def rendered_policy(self, topology: Topology, name: str, spec: Bucket, where: Deployment) -> Document | None:
        ids = topology.account_id
        return bucket_policy(where.bucket(name).arn, [ids(a) for a in spec.readers], spec.readers_may_delete, [ids(a) for a in spec.writers])

    def read_policy(self, placed: Placed, client_for: ClientFor) -> Policy:
        return read_bucket_policy(client_for("s3", placed.account_id, placed.region), placed.arn.split(":::", 1)[-1])

    def declared_hops(self, topology: Topology, name: str, spec: Bucket, dep: Deployment) -> list[tuple[str, Hop]]:
        ids = topology.account_id
        ref = dep.bucket(name)
        out = [(f"buckets.{name}.writers", payload_hop(HopKind.PUT_PAYLOAD, a, ids(a), ref)) for a in spec.writers]
        for a in spec.readers:
            out.append((f"buckets.{name}.readers", payload_hop(HopKind.GET_PAYLOAD, a, ids(a), ref)))
            if spec.readers_may_delete:
                out.append((f"buckets.{name}.readers_may_delete", payload_hop(HopKind.DELETE_PAYLOAD, a, ids(a), ref)))
        return out

    def matrix_request(self, dep: Deployment, name: str, action: str, account_id: str) -> tuple[Request, str]:
        bucket = dep.bucket(name)
        ctx = {"aws:SecureTransport": "true", "aws:PrincipalAccount": account_id}
        return Request(account_id, action, f"{bucket.arn}/{PAYLOAD_PROBE_KEY}", resource_account=bucket.account, context=ctx), bucket.arn


PART = BucketAccess()
