"""A function's access facts: two policies of the ``function`` module, statement for statement —
its resource policy (``aws_lambda_permission.sns``: SNS may invoke it for the subscribed topics) and
its execution role's identity policy (``aws_iam_role_policy.this``: receive from its queue, read the
payloads of the buckets it reads, decrypt with their keys, send the records of failed asynchronous
invocations to its on-failure destination) — how each is read back, and the accesses the topology
declares through the function: its event source mapping polling its queue, its role reading each
bucket in ``reads`` and sending to its ``on_failure`` queue. (SNS invoking it is declared by its
subscription.)"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.access.kind import AccessKind, Document, Placed, logical_arn
from harness.access.paths import Hop, HopKind, failure_hop, payload_hop, poll_hop
from harness.access.policy import Policy, parse_policy
from harness.access.readback import ReadbackError, error_code
from harness.kinds.function.spec import Function
from harness.provision.clients import ClientFor
from harness.topology.model import Topology
from harness.topology.names import ROLE_PATH
from harness.topology.regions import partition_of

if TYPE_CHECKING:
    from types_boto3_iam.client import IAMClient
    from types_boto3_lambda.client import LambdaClient

    from harness.access.deployment import Deployment

FUNCTION_POLICY = "function policy"
ROLE_POLICY = "role policy"
ROLE_POLICY_NAME = "least-privilege"  # the module's inline policy


def function_policy(function_arn: str, source_topic_arns: list[str]) -> Document | None:
    """What the module's ``aws_lambda_permission`` resources add up to (None: no topic invokes it),
    as Lambda stores it (``AddPermission`` with a source ARN becomes an ``ArnLike`` condition)."""
    if not source_topic_arns:
        return None
    statements = [
        {
            "Sid": f"AllowSnsTopic{i}",
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": function_arn,
            "Condition": {"ArnLike": {"AWS:SourceArn": arn}},
        }
        for i, arn in enumerate(source_topic_arns)
    ]
    return {"Version": "2012-10-17", "Id": "default", "Statement": statements}


def role_policy(log_group_arn: str, receipts_arn: str, queue_arn: str | None, bucket_arns: list[str], delete_arns: list[str],
                key_arns: list[str], failure_arn: str | None = None, failure_key_arn: str | None = None) -> Document:
    """The execution role's inline policy (``aws_iam_role_policy.this``), statement for statement."""
    statements: list[dict[str, Any]] = [
        {"Sid": "WriteOwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": f"{log_group_arn}:*"},
        {"Sid": "SendReceipts", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": receipts_arn},
    ]
    if queue_arn:
        statements.append({"Sid": "PollOwnQueue", "Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                           "Resource": queue_arn})
    if bucket_arns:
        statements.append({"Sid": "ReadPayloads", "Effect": "Allow", "Action": "s3:GetObject", "Resource": [f"{a}/*" for a in bucket_arns]})
        statements.append({"Sid": "ListPayloadBuckets", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arns})
    if delete_arns:
        statements.append({"Sid": "DeletePayloadsOnAck", "Effect": "Allow", "Action": "s3:DeleteObject", "Resource": [f"{a}/*" for a in delete_arns]})
    if key_arns:
        statements.append({"Sid": "DecryptWithKeys", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arns})
    if failure_arn:
        statements.append({"Sid": "SendFailureRecords", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": failure_arn})
        if failure_key_arn:
            statements.append({"Sid": "EncryptFailureRecords", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                               "Resource": failure_key_arn})
    return {"Version": "2012-10-17", "Statement": statements}


def read_function_policy(lam: LambdaClient, function_arn: str) -> Policy:
    """``GetPolicy`` (``ResourceNotFoundException`` on a function without one = no policy)."""
    try:
        text = lam.get_policy(FunctionName=function_arn).get("Policy")
    except ClientError as err:
        if error_code(err) == "ResourceNotFoundException" and "policy" in str(err).lower():
            return parse_policy(None, FUNCTION_POLICY)
        raise ReadbackError(f"cannot read the policy of function {function_arn}: {error_code(err)}: {err}; is the run still applied?") from err
    except BotoCoreError as err:
        raise ReadbackError(f"cannot read the policy of function {function_arn}: {err}") from err
    return parse_policy(text, FUNCTION_POLICY)


def read_role_policies(iam: IAMClient, role_arn: str) -> list[Policy]:
    """Every identity policy of the role now: its inline policies and its attached managed ones."""
    role = role_arn.rsplit("/", 1)[-1]
    found: list[Policy] = []
    try:
        for name in iam.list_role_policies(RoleName=role).get("PolicyNames", []):
            doc = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            found.append(parse_policy(doc if isinstance(doc, str) else json.dumps(doc), f"{ROLE_POLICY} {name}"))
        for attached in iam.list_attached_role_policies(RoleName=role).get("AttachedPolicies", []):
            arn = attached.get("PolicyArn", "")
            version = iam.get_policy(PolicyArn=arn)["Policy"].get("DefaultVersionId", "v1")
            doc = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            found.append(parse_policy(doc if isinstance(doc, str) else json.dumps(doc), f"managed policy {attached.get('PolicyName', arn)}"))
    except ClientError as err:
        raise ReadbackError(f"cannot read the policies of role {role_arn}: {error_code(err)}: {err}; is the run still applied?") from err
    except BotoCoreError as err:
        raise ReadbackError(f"cannot read the policies of role {role_arn}: {err}") from err
    return found


class FunctionAccess(AccessKind):
    kind = "function"
    group = "functions"
    policy_name = FUNCTION_POLICY
    capabilities = (("invoke", "lambda:InvokeFunction"),)

    def place(self, topology: Topology, name: str, spec: Function) -> Placed:
        account_id = topology.account_id(spec.account)
        role = f"arn:{partition_of(spec.region) or 'aws'}:iam::{account_id}:role{ROLE_PATH}{name}"
        return Placed(name, logical_arn("lambda", spec.region, account_id, f"function:{name}"), account_id, spec.region, principal=role)

    def place_applied(self, name: str, entry: Any) -> Placed:
        """An applied function: ``url`` is its receipts queue's, ``principal`` its execution role."""
        return Placed(name, entry.arn, entry.account_id, entry.region, entry.receipts_url, principal=entry.role_arn)

    def rendered_policy(self, topology: Topology, name: str, spec: Function, where: Deployment) -> Document | None:
        return function_policy(where.function(name).arn, [where.topic(t).arn for t in topology.topics_invoking(name)])

    def read_policy(self, placed: Placed, client_for: ClientFor) -> Policy:
        return read_function_policy(client_for("lambda", placed.account_id, placed.region), placed.arn)

    def rendered_identity(self, topology: Topology, name: str, spec: Function, where: Deployment) -> Document | None:
        placed = where.functions[name]
        logs = logical_arn("logs", spec.region, placed.account_id, f"log-group:/aws/lambda/{name}")
        receipts = logical_arn("sqs", spec.region, placed.account_id, f"{name}-receipts")
        buckets = [where.bucket(b).arn for b in spec.reads]
        deleting = [where.bucket(b).arn for b in spec.reads if topology.buckets[b].readers_may_delete]
        keyed = [topology.buckets[b].kms_key for b in spec.reads] + ([topology.queues[spec.queue].kms_key] if spec.queue else [])
        keys = [where.keys[k].arn for k in dict.fromkeys(keyed) if k]
        failure_key = topology.queues[spec.on_failure].kms_key if spec.on_failure else None
        return role_policy(logs, receipts, where.queue(spec.queue).arn if spec.queue else None, buckets, deleting, keys,
                           where.queue(spec.on_failure).arn if spec.on_failure else None, where.keys[failure_key].arn if failure_key else None)

    def read_identity(self, placed: Placed, client_for: ClientFor) -> list[Policy]:
        return read_role_policies(client_for("iam", placed.account_id, placed.region), placed.principal)

    def declared_hops(self, topology: Topology, name: str, spec: Function, dep: Deployment) -> list[tuple[str, Hop]]:
        fn = dep.function(name)
        out = [(f"functions.{name}.queue", poll_hop(fn, dep.queue(spec.queue)))] if spec.queue else []
        for b in spec.reads:
            out.append((f"functions.{name}.reads", payload_hop(HopKind.GET_PAYLOAD, name, fn.role_arn, dep.bucket(b), caller=fn.caller)))
        if spec.on_failure:
            out.append((f"functions.{name}.on_failure", failure_hop(fn, dep.queue(spec.on_failure))))
        return out


PART = FunctionAccess()
