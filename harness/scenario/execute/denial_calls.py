"""``expect_denied`` outcomes, and on AWS the real call that must be refused.

On LocalStack (which enforces no policy) an entry is judged by the evaluator over the read-back
policies (:func:`DenialOutcome.from_verdict`). On AWS, :func:`attempt_denial` makes the call as the
named account and passes when AWS refuses it (``AccessDenied``, SNS's ``AuthorizationError``, …):

- publish / send: ``Publish`` / ``SendMessage`` of a small probe message;
- subscribe: ``Subscribe`` (protocol sqs); a subscription that was created is removed again;
- put_payloads: ``PutObject`` of a probe object (removed by the bucket's owner if it was written);
- read_payloads / delete_payloads: the owner writes a probe object, the account gets / deletes it,
  the owner removes what is left (a missing key would answer 403 without ``s3:ListBucket``);
- deliver: the topic's owner publishes a probe, and it must not reach the queue (or, to a function,
  no receipt of it may reach the function's receipts queue) within ``within``;
- invoke: ``Invoke`` with ``InvocationType=DryRun`` (Lambda checks the permission and runs nothing).

When the call goes through, the failure names the statement of the read-back policies that grants
it (the same file fails on both targets for the same reason). An account outside the topology has
no credentials in the run: its entry is judged by the evaluator, and the line says so.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.access.deployment import Deployment
from harness.access.paths import Hop
from harness.access.verdicts import DenialVerdict
from harness.payload.wire import CORRELATION_ATTRIBUTE as CORRELATION
from harness.provision.clients import ServiceName
from harness.provision.manifest import Manifest
from harness.provision.sessions import Sessions
from harness.scenario.expectations import ExpectDenied

log = logging.getLogger(__name__)

REFUSED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "AuthorizationError", "AuthorizationErrorException", "Forbidden", "403"})
PROBE_BODY = "harness access probe: this message only checks that the call is refused; ignore it"
PROBE_KEY_PREFIX = "harness-access-probe/"

# (service, account name or id, region, secure) -> boto3 client
Clients = Callable[[ServiceName, str, str, bool], Any]


@dataclass(frozen=True)
class DenialOutcome:
    entry: ExpectDenied
    ok: bool
    method: str  # "evaluator" | "call"
    line: str
    verdict: DenialVerdict
    code: str | None = None  # the error code AWS answered (call)

    @classmethod
    def from_verdict(cls, entry: ExpectDenied, verdict: DenialVerdict, note: str = "") -> DenialOutcome:
        line = verdict.line if verdict.ok else f"expect_denied ({entry.label}, line {entry.line}): {verdict.line}"
        return cls(entry, verdict.ok, "evaluator", line + note, verdict)

    def as_dict(self) -> dict[str, object]:
        d = self.verdict.decision
        st = d.statement
        return {
            "from": None if self.entry.action == "deliver" else f"{self.entry.account}/{self.entry.region}",
            "action": self.entry.action,
            "topic": self.entry.topic,
            "queue": self.entry.queue,
            "bucket": self.entry.bucket,
            "function": self.entry.function,
            "via": self.entry.via,
            "status": "passed" if self.ok else "failed",
            "judged_by": self.method,
            "aws_error": self.code,
            "verdict": d.outcome.value,
            "statement": None if st is None else {"policy": st.policy, "sid": st.sid, "index": st.index},
            "reason": d.reason,
            "line": self.line,
        }


def sessions_clients(sessions: Sessions) -> Clients:
    """The run's clients; ``secure=False`` gives a plain-HTTP client (``via: http``)."""

    def make(service: ServiceName, account: str, region: str, secure: bool) -> Any:
        if secure:
            return sessions.client(service, account, region)
        return sessions.plain_http_client(service, account, region)

    return make


def _code(err: ClientError) -> str:
    code = str(err.response.get("Error", {}).get("Code", ""))
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code or str(status or "")


def _granting(verdict: DenialVerdict) -> str:
    st = verdict.decision.statement
    if verdict.decision.allowed and st is not None:
        return f"{st} grants it"
    return f"the read-back resource policies do not grant it ({verdict.decision.reason}); an identity policy, SCP or ACL must"


def attempt_denial(
    entry: ExpectDenied, dep: Deployment, hop: Hop, verdict: DenialVerdict, manifest: Manifest, sessions: Sessions | Clients
) -> DenialOutcome:
    """Make the entry's call on AWS; pass when it is refused. ``sessions`` may be a :data:`Clients`
    callable instead (tests hand in stubbed clients)."""
    clients = sessions_clients(sessions) if isinstance(sessions, Sessions) else sessions
    names = {account_id: name for name, account_id in manifest.accounts.items()}
    caller = entry.account if entry.account in manifest.accounts else names.get(entry.account)
    if caller is None and entry.action != "deliver":
        note = f" (account {entry.account} is outside the run, so no call can be made as it: judged by the evaluator)"
        return DenialOutcome.from_verdict(entry, verdict, note)
    try:
        code = _ACTIONS[entry.action](entry, dep, caller or "", clients)
    except ClientError as err:
        code = _code(err)
        if code in REFUSED_CODES:
            line = f"{hop.subject}: {entry.label} was refused by AWS ({code}), as expected"
            return DenialOutcome(entry, True, "call", line, verdict, code)
        line = f"expect_denied ({entry.label}, line {entry.line}): the call failed with {code}, not an access denial: {err}; check the names and that the run is applied"
        return DenialOutcome(entry, False, "call", line, verdict, code)
    except BotoCoreError as err:
        line = f"expect_denied ({entry.label}, line {entry.line}): the call could not be made: {err}"
        return DenialOutcome(entry, False, "call", line, verdict, None)
    if code:  # deliver: the probe did not arrive
        return DenialOutcome(entry, True, "call", f"{hop.subject}: {entry.label}: {code}, as expected", verdict, None)
    line = f"expect_denied ({entry.label}, line {entry.line}): expected to be refused, but AWS accepted the call: {_granting(verdict)}"
    return DenialOutcome(entry, False, "call", line, verdict, None)


# -- the calls: each returns "" when AWS accepted it (or a note when a deliver probe stayed away) --
def _owner(dep: Deployment, account_id: str) -> str:
    return next((n for n, i in dep.accounts.items() if i == account_id), account_id)


def _publish(entry: ExpectDenied, dep: Deployment, caller: str, clients: Clients) -> str:
    topic = dep.topics[entry.topic or ""]
    kwargs: dict[str, Any] = {"TopicArn": topic.arn, "Message": PROBE_BODY}
    if topic.arn.endswith(".fifo"):
        kwargs |= {"MessageGroupId": "harness-access-probe", "MessageDeduplicationId": uuid.uuid4().hex}
    clients("sns", caller, topic.region, entry.secure_transport).publish(**kwargs)
    return ""


def _send(entry: ExpectDenied, dep: Deployment, caller: str, clients: Clients) -> str:
    queue = dep.queues[entry.queue or ""]
    kwargs: dict[str, Any] = {"QueueUrl": queue.url, "MessageBody": PROBE_BODY}
    if queue.arn.endswith(".fifo"):
        kwargs |= {"MessageGroupId": "harness-access-probe", "MessageDeduplicationId": uuid.uuid4().hex}
    clients("sqs", caller, queue.region, entry.secure_transport).send_message(**kwargs)
    return ""


def _subscribe(entry: ExpectDenied, dep: Deployment, caller: str, clients: Clients) -> str:
    topic, queue = dep.topics[entry.topic or ""], dep.queues[entry.queue or ""]
    sns = clients("sns", caller, topic.region, entry.secure_transport)
    made = sns.subscribe(TopicArn=topic.arn, Protocol="sqs", Endpoint=queue.arn, ReturnSubscriptionArn=True)
    arn = made.get("SubscriptionArn", "")
    if arn.startswith("arn:"):
        sns.unsubscribe(SubscriptionArn=arn)
    return ""


def _payload(entry: ExpectDenied, dep: Deployment, caller: str, clients: Clients) -> str:
    bucket = dep.buckets[entry.bucket or ""]
    name, key = bucket.arn.split(":::", 1)[-1], f"{PROBE_KEY_PREFIX}{uuid.uuid4().hex}"
    owner = clients("s3", _owner(dep, bucket.account_id), bucket.region, True)
    s3 = clients("s3", caller, bucket.region, entry.secure_transport)
    try:
        if entry.action == "put_payloads":
            s3.put_object(Bucket=name, Key=key, Body=b"")
        else:
            owner.put_object(Bucket=name, Key=key, Body=b"probe")
            if entry.action == "read_payloads":
                s3.get_object(Bucket=name, Key=key)["Body"].read()
            else:
                s3.delete_object(Bucket=name, Key=key)
    finally:
        _remove_probe(owner, name, key)
    return ""


def _remove_probe(owner: Any, bucket: str, key: str) -> None:
    """Remove the probe object as the bucket's owner; a failure here must not hide the verdict."""
    try:
        owner.delete_object(Bucket=bucket, Key=key)
    except (ClientError, BotoCoreError) as err:
        log.warning("could not remove the access probe s3://%s/%s (%s); delete it by hand", bucket, key, err)


def _invoke(entry: ExpectDenied, dep: Deployment, caller: str, clients: Clients) -> str:
    function = dep.functions[entry.function or ""]
    clients("lambda", caller, function.region, entry.secure_transport).invoke(FunctionName=function.arn, InvocationType="DryRun")
    return ""


def _deliver(entry: ExpectDenied, dep: Deployment, caller: str, clients: Clients) -> str:
    topic = dep.topics[entry.topic or ""]
    token = uuid.uuid4().hex
    sns = clients("sns", _owner(dep, topic.account_id), topic.region, True)
    if entry.function:
        return _deliver_to_function(entry, dep, sns, clients, token)
    queue = dep.queues[entry.queue or ""]
    sqs = clients("sqs", _owner(dep, queue.account_id), queue.region, True)
    kwargs: dict[str, Any] = {"TopicArn": topic.arn, "Message": f"{PROBE_BODY} {token}"}
    if topic.arn.endswith(".fifo"):
        kwargs |= {"MessageGroupId": "harness-access-probe", "MessageDeduplicationId": token}
    sns.publish(**kwargs)
    deadline = time.monotonic() + entry.within
    while (left := deadline - time.monotonic()) > 0:
        got = sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10, WaitTimeSeconds=max(1, min(20, int(left))))
        for msg in got.get("Messages", []):
            if token in json.dumps(msg):
                sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=msg["ReceiptHandle"])
                return ""
            sqs.change_message_visibility(QueueUrl=queue.url, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=0)
    return f"the probe published to topic {entry.topic} did not reach queue {entry.queue} within {entry.within:g}s"


def _deliver_to_function(entry: ExpectDenied, dep: Deployment, sns: Any, clients: Clients, token: str) -> str:
    """The topic's owner publishes a probe whose correlation id is ``token``; a receipt naming it
    in the function's receipts queue means SNS invoked the function."""
    topic, function = dep.topics[entry.topic or ""], dep.functions[entry.function or ""]
    receipts = function.url  # a function's placement carries its receipts queue's URL
    sqs = clients("sqs", _owner(dep, function.account_id), function.region, True)
    sns.publish(TopicArn=topic.arn, Message=PROBE_BODY, MessageAttributes={CORRELATION: {"DataType": "String", "StringValue": token}})
    deadline = time.monotonic() + entry.within
    while receipts and (left := deadline - time.monotonic()) > 0:
        got = sqs.receive_message(QueueUrl=receipts, MaxNumberOfMessages=10, WaitTimeSeconds=max(1, min(20, int(left))))
        for msg in got.get("Messages", []):
            if token in msg.get("Body", ""):
                sqs.delete_message(QueueUrl=receipts, ReceiptHandle=msg["ReceiptHandle"])
                return ""
            sqs.change_message_visibility(QueueUrl=receipts, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=0)
    return f"the probe published to topic {entry.topic} did not reach function {entry.function} within {entry.within:g}s"


_ACTIONS: dict[str, Callable[[ExpectDenied, Deployment, str, Clients], str]] = {
    "publish": _publish,
    "send": _send,
    "subscribe": _subscribe,
    "put_payloads": _payload,
    "read_payloads": _payload,
    "delete_payloads": _payload,
    "deliver": _deliver,
    "invoke": _invoke,
}
