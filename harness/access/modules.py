"""The policies the kit's Terraform modules write, as Python dicts.

Each function reproduces the ``jsonencode({...})`` of one module's policy resource, statement for
statement (same Sids, principals, actions, conditions, order):

- :func:`queue_policy`  — terraform/modules/queue/main.tf, ``aws_sqs_queue_policy.this``
- :func:`topic_policy`  — terraform/modules/topic/main.tf, ``aws_sns_topic_policy.this``
- :func:`bucket_policy` — terraform/modules/payload-bucket/main.tf, ``aws_s3_bucket_policy.this``
- :func:`key_policy`    — terraform/modules/kms/main.tf, ``aws_kms_key.this`` (its ``policy``)

Why a reproduction and not Terraform's own rendering: the documents embed the resources' ARNs,
which Terraform only knows after apply, and the static check (:mod:`harness.access.static`) must
run before anything is applied, without a provider. tests/access/test_modules_mirror.py keeps the
two in step (it fails when a module's Sids, principals, actions or condition keys change), and the
read-back path (:mod:`harness.access.readback`) judges what AWS actually stores, so a drift here
can never hide a wrong applied policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Document = dict[str, Any]


def _distinct(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _roots(account_ids: Sequence[str]) -> list[str]:
    # The modules write "arn:aws:" whatever the partition; mirrored as is.
    return [f"arn:aws:iam::{a}:root" for a in _distinct(account_ids)]


def queue_policy(queue_arn: str, source_topic_arns: Sequence[str] = (), producer_account_ids: Sequence[str] = ()) -> Document | None:
    """The queue module's policy, or None when the module writes none (count = 0)."""
    statements: list[dict[str, Any]] = []
    if source_topic_arns:
        statements.append(
            {
                "Sid": "AllowSnsTopicsToDeliver",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": _distinct(source_topic_arns)}},
            }
        )
    if producer_account_ids:
        statements.append(
            {
                "Sid": "AllowProducerAccountsToSend",
                "Effect": "Allow",
                "Principal": {"AWS": _roots(producer_account_ids)},
                "Action": ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"],
                "Resource": queue_arn,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements} if statements else None


def topic_policy(topic_arn: str, subscriber_account_ids: Sequence[str] = (), publisher_account_ids: Sequence[str] = ()) -> Document | None:
    """The topic module's policy, or None when the module writes none (SNS's default policy stays)."""
    statements: list[dict[str, Any]] = []
    if subscriber_account_ids:
        statements.append(
            {
                "Sid": "AllowCrossAccountSubscribe",
                "Effect": "Allow",
                "Principal": {"AWS": _roots(subscriber_account_ids)},
                "Action": "sns:Subscribe",
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"sns:Protocol": "sqs"}},
            }
        )
    if publisher_account_ids:
        statements.append(
            {
                "Sid": "AllowCrossAccountPublish",
                "Effect": "Allow",
                "Principal": {"AWS": _roots(publisher_account_ids)},
                "Action": "sns:Publish",
                "Resource": topic_arn,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements} if statements else None


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
    readers = _roots(reader_account_ids)
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
    writers = _roots(writer_account_ids)
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


def key_policy(
    key_account_id: str,
    encrypt_account_ids: Sequence[str] = (),
    decrypt_account_ids: Sequence[str] = (),
    sns_source_topic_arns: Sequence[str] = (),
) -> Document:
    """The kms module's key policy (always written: it carries the key's own account's administration)."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "EnableOwnAccountAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{key_account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if encrypt_account_ids:
        statements.append(
            {
                "Sid": "AllowAccountsToEncrypt",
                "Effect": "Allow",
                "Principal": {"AWS": _roots(encrypt_account_ids)},
                "Action": ["kms:GenerateDataKey", "kms:Encrypt"],
                "Resource": "*",
            }
        )
    if decrypt_account_ids:
        statements.append(
            {
                "Sid": "AllowAccountsToDecrypt",
                "Effect": "Allow",
                "Principal": {"AWS": _roots(decrypt_account_ids)},
                "Action": "kms:Decrypt",
                "Resource": "*",
            }
        )
    if sns_source_topic_arns:
        statements.append(
            {
                "Sid": "AllowSnsToEncryptForSubscribedQueues",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {"ArnEquals": {"aws:SourceArn": _distinct(sns_source_topic_arns)}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
