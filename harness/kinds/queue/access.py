"""A queue's access facts: the queue module's policy (``aws_sqs_queue_policy.this`` in
terraform/modules/queue/main.tf, statement for statement: feeding topics, producer accounts, the
roles of other accounts' functions whose on-failure destination it is), how it is read back, and
the direct sends the topology declares (``producers``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.access.kind import AccessKind, Document, Placed, logical_arn
from harness.access.paths import Hop, send_hop
from harness.access.policy import Policy, parse_policy
from harness.access.readback import ReadbackError, distinct, error_code, roots
from harness.kinds.queue.spec import Queue
from harness.provision.clients import ClientFor
from harness.topology.model import Topology

if TYPE_CHECKING:
    from types_boto3_sqs.client import SQSClient

    from harness.access.deployment import Deployment

QUEUE_POLICY = "queue policy"


def queue_policy(queue_arn: str, source_topic_arns: Sequence[str] = (), producer_account_ids: Sequence[str] = (),
                 sender_role_arns: Sequence[str] = ()) -> Document | None:
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
                "Condition": {"ArnEquals": {"aws:SourceArn": distinct(source_topic_arns)}},
            }
        )
    if producer_account_ids:
        statements.append(
            {
                "Sid": "AllowProducerAccountsToSend",
                "Effect": "Allow",
                "Principal": {"AWS": roots(producer_account_ids)},
                "Action": ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"],
                "Resource": queue_arn,
            }
        )
    if sender_role_arns:
        statements.append(
            {
                "Sid": "AllowFunctionRolesToSendFailureRecords",
                "Effect": "Allow",
                "Principal": {"AWS": distinct(sender_role_arns)},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements} if statements else None


def read_queue_policy(sqs: SQSClient, queue_url: str) -> Policy:
    """``GetQueueAttributes(AttributeNames=["Policy"])`` (no ``Policy`` attribute = no policy)."""
    try:
        attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy"]).get("Attributes", {})
    except ClientError as err:
        raise ReadbackError(f"cannot read the policy of queue {queue_url}: {error_code(err)}: {err}; is the run still applied?") from err
    except BotoCoreError as err:
        raise ReadbackError(f"cannot read the policy of queue {queue_url}: {err}") from err
    return parse_policy(attrs.get("Policy"), QUEUE_POLICY)


class QueueAccess(AccessKind):
    kind = "queue"
    group = "queues"
    policy_name = QUEUE_POLICY
    capabilities = (("send", "sqs:SendMessage"), ("receive", "sqs:ReceiveMessage"))

    def place(self, topology: Topology, name: str, spec: Queue) -> Placed:
        account_id = topology.account_id(spec.account)
        arn = logical_arn("sqs", spec.region, account_id, name + (".fifo" if spec.fifo else ""))
        return Placed(name, arn, account_id, spec.region, kms_key=spec.kms_key or "")

    def rendered_policy(self, topology: Topology, name: str, spec: Queue, where: Deployment) -> Document | None:
        sources = [where.topic(t).arn for t in topology.topics_feeding(name)]
        senders = [where.function(f).role_arn for f in topology.functions_failing_to(name) if topology.functions[f].account != spec.account]
        return queue_policy(where.queue(name).arn, sources, [topology.account_id(a) for a in spec.producers], senders)

    def read_policy(self, placed: Placed, client_for: ClientFor) -> Policy:
        if not placed.url:
            raise ReadbackError(f"queue {placed.arn}: its URL is needed to read its policy")
        return read_queue_policy(client_for("sqs", placed.account_id, placed.region), placed.url)

    def declared_hops(self, topology: Topology, name: str, spec: Queue, dep: Deployment) -> list[tuple[str, Hop]]:
        ids = topology.account_id
        return [(f"queues.{name}.producers", send_hop(ids(a), dep.queue(name))) for a in spec.producers]


PART = QueueAccess()
