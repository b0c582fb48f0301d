"""A KMS key's access facts: the kms module's key policy (``aws_kms_key.this``'s ``policy`` in
terraform/modules/kms/main.tf, statement for statement) and how it is read back. The key hops of a
path (who encrypts and decrypts what) are built by :meth:`harness.access.deployment.Deployment.path_hops`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.access.kind import AccessKind, Document, Placed, logical_arn
from harness.access.policy import Policy, parse_policy
from harness.access.readback import ReadbackError, distinct, error_code, roots
from harness.kinds.key.spec import Key
from harness.provision.clients import ClientFor
from harness.topology.model import Topology

if TYPE_CHECKING:
    from types_boto3_kms.client import KMSClient

    from harness.access.deployment import Deployment

KEY_POLICY = "key policy"


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
                "Principal": {"AWS": roots(encrypt_account_ids)},
                "Action": ["kms:GenerateDataKey", "kms:Encrypt"],
                "Resource": "*",
            }
        )
    if decrypt_account_ids:
        statements.append(
            {
                "Sid": "AllowAccountsToDecrypt",
                "Effect": "Allow",
                "Principal": {"AWS": roots(decrypt_account_ids)},
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
                "Condition": {"ArnEquals": {"aws:SourceArn": distinct(sns_source_topic_arns)}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def read_key_policy(kms: KMSClient, key_arn: str) -> Policy:
    """The key policy (every KMS key has exactly one, named ``default``); ``kms`` must act as the
    key's own account: GetKeyPolicy does not work across accounts."""
    try:
        text = kms.get_key_policy(KeyId=key_arn, PolicyName="default").get("Policy")
    except ClientError as err:
        raise ReadbackError(f"cannot read the policy of key {key_arn}: {error_code(err)}: {err}; is the run still applied?") from err
    except BotoCoreError as err:
        raise ReadbackError(f"cannot read the policy of key {key_arn}: {err}") from err
    return parse_policy(text, KEY_POLICY)


def topics_into(topology: Topology, key: str) -> list[str]:
    """The topics that deliver into a queue ``key`` encrypts (SNS needs the key to do so)."""
    return sorted({t for q, queue in topology.queues.items() if queue.kms_key == key for t in topology.topics_feeding(q)})


class KeyAccess(AccessKind):
    kind = "key"
    group = "keys"
    policy_name = KEY_POLICY
    capabilities = (("encrypt", "kms:GenerateDataKey"), ("decrypt", "kms:Decrypt"))

    def place(self, topology: Topology, name: str, spec: Key) -> Placed:
        account_id = topology.account_id(spec.account)
        return Placed(name, logical_arn("kms", spec.region, account_id, f"key/{name}"), account_id, spec.region)

    def rendered_policy(self, topology: Topology, name: str, spec: Key, where: Deployment) -> Document | None:
        ids = topology.account_id
        sources = [where.topic(t).arn for t in topics_into(topology, name)]
        return key_policy(ids(spec.account), [ids(a) for a in spec.encrypt], [ids(a) for a in spec.decrypt], sources)

    def read_policy(self, placed: Placed, client_for: ClientFor) -> Policy:
        return read_key_policy(client_for("kms", placed.account_id, placed.region), placed.arn)


PART = KeyAccess()
