"""A topic's access facts: the topic module's policy (``aws_sns_topic_policy.this`` in
terraform/modules/topic/main.tf, statement for statement), how it is read back, and the publishes
the topology declares (``publishers``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.access.evaluate import Request
from harness.access.kind import AccessKind, Document, Placed, logical_arn
from harness.access.paths import Hop, publish_hop
from harness.access.policy import Policy, parse_policy
from harness.access.readback import ReadbackError, error_code, roots
from harness.kinds.topic.spec import Topic
from harness.provision.clients import ClientFor
from harness.topology.model import Topology

if TYPE_CHECKING:
    from types_boto3_sns.client import SNSClient

    from harness.access.deployment import Deployment

TOPIC_POLICY = "topic policy"


def topic_policy(
    topic_arn: str, subscriber_account_ids: Sequence[str] = (), publisher_account_ids: Sequence[str] = (),
    lambda_subscriber_account_ids: Sequence[str] = (),
) -> Document | None:
    """The topic module's policy, or None when the module writes none (SNS's default policy stays)."""
    statements: list[dict[str, Any]] = []
    for sid, accounts, protocol in (("AllowCrossAccountSubscribe", subscriber_account_ids, "sqs"),
                                    ("AllowCrossAccountLambdaSubscribe", lambda_subscriber_account_ids, "lambda")):
        if accounts:
            statements.append(
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Principal": {"AWS": roots(accounts)},
                    "Action": "sns:Subscribe",
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"sns:Protocol": protocol}},
                }
            )
    if publisher_account_ids:
        statements.append(
            {
                "Sid": "AllowCrossAccountPublish",
                "Effect": "Allow",
                "Principal": {"AWS": roots(publisher_account_ids)},
                "Action": "sns:Publish",
                "Resource": topic_arn,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements} if statements else None


def read_topic_policy(sns: SNSClient, topic_arn: str) -> Policy:
    """``GetTopicAttributes`` → ``Policy`` (SNS always has one: its default policy, which admits
    only the owner account, until a custom one replaces it)."""
    try:
        attrs = sns.get_topic_attributes(TopicArn=topic_arn).get("Attributes", {})
    except ClientError as err:
        raise ReadbackError(f"cannot read the policy of topic {topic_arn}: {error_code(err)}: {err}; is the run still applied?") from err
    except BotoCoreError as err:
        raise ReadbackError(f"cannot read the policy of topic {topic_arn}: {err}") from err
    return parse_policy(attrs.get("Policy"), TOPIC_POLICY)


class TopicAccess(AccessKind):
    kind = "topic"
    group = "topics"
    policy_name = TOPIC_POLICY
    capabilities = (("publish", "sns:Publish"), ("subscribe", "sns:Subscribe"))

    def place(self, topology: Topology, name: str, spec: Topic) -> Placed:
        account_id = topology.account_id(spec.account)
        arn = logical_arn("sns", spec.region, account_id, name + (".fifo" if spec.fifo else ""))
        return Placed(name, arn, account_id, spec.region, kms_key=spec.kms_key or "")

    def rendered_policy(self, topology: Topology, name: str, spec: Topic, where: Deployment) -> Document | None:
        ids = topology.account_id
        subscribers = [ids(a) for a in topology.subscriber_accounts(name)]
        functions = [ids(a) for a in topology.function_subscriber_accounts(name)]
        return topic_policy(where.topic(name).arn, subscribers, [ids(a) for a in spec.publishers], functions)

    def read_policy(self, placed: Placed, client_for: ClientFor) -> Policy:
        return read_topic_policy(client_for("sns", placed.account_id, placed.region), placed.arn)

    def declared_hops(self, topology: Topology, name: str, spec: Topic, dep: Deployment) -> list[tuple[str, Hop]]:
        ids = topology.account_id
        return [(f"topics.{name}.publishers", publish_hop(ids(a), dep.topic(name))) for a in spec.publishers]

    def matrix_request(self, dep: Deployment, name: str, action: str, account_id: str) -> tuple[Request, str]:
        request, arn = super().matrix_request(dep, name, action, account_id)
        if action == "sns:Subscribe":
            request = Request(request.principal, request.action, request.resource, context={**request.context, "sns:Protocol": "sqs"})
        return request, arn


PART = TopicAccess()
