"""expect_denied on AWS: the real call, with botocore's Stubber standing in for AWS."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from harness import paths
from harness.access.deployment import Deployment
from harness.access.kind import Placed
from harness.access.static import rendered_policies
from harness.access.verdicts import denial_verdict
from harness.scenario.execute.access_step import denial_hop
from harness.scenario.execute.denial_calls import attempt_denial
from harness.scenario.expectations import ExpectDenied
from harness.topology.loader import load_topology

TOPOLOGY = load_topology(paths.REFERENCE_TOPOLOGY)
IDS = {"A": "111111111111", "B": "222222222222", "C": "333333333333"}
MANIFEST = SimpleNamespace(accounts=IDS, target="aws")


def _deployment() -> Deployment:
    base = Deployment.from_topology(TOPOLOGY)
    queues = {
        n: Placed(n, p.arn, p.account_id, p.region, f"https://sqs.{p.region}.amazonaws.com/{p.account_id}/{n}") for n, p in base.queues.items()
    }
    return base.replaced("queues", queues)


DEP = _deployment()
POLICIES = rendered_policies(TOPOLOGY, DEP)


class Clients:
    """(service, account, region, secure) → one stubbed client each; records what was asked for."""

    def __init__(self) -> None:
        self.stubs: dict[tuple[str, str, str, bool], Stubber] = {}
        self.clients: dict[tuple[str, str, str, bool], Any] = {}

    def stub(self, service: str, account: str, region: str, secure: bool = True) -> Stubber:
        key = (service, account, region, secure)
        if key not in self.clients:
            client = boto3.client(service, region_name=region, aws_access_key_id="x", aws_secret_access_key="y", use_ssl=secure)
            self.clients[key] = client
            self.stubs[key] = Stubber(client)
            self.stubs[key].activate()
        return self.stubs[key]

    def __call__(self, service: str, account: str, region: str, secure: bool) -> Any:
        key = (service, account, region, secure)
        assert key in self.clients, f"unexpected client {key}"
        return self.clients[key]

    def verify(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


def _judge(entry: ExpectDenied, clients: Clients):
    hop = denial_hop(DEP, entry)
    return attempt_denial(entry, DEP, hop, denial_verdict(hop, POLICIES), MANIFEST, clients)


def test_publish_refused_by_aws_passes() -> None:
    clients = Clients()
    clients.stub("sns", "C", "us-east-1").add_client_error("publish", "AuthorizationError", http_status_code=403)
    outcome = _judge(ExpectDenied("C", "us-east-1", "publish", topic="orders"), clients)
    clients.verify()
    assert outcome.ok and outcome.method == "call" and outcome.code == "AuthorizationError"
    assert outcome.as_dict()["judged_by"] == "call"


def test_send_accepted_by_aws_fails_naming_the_granting_statement() -> None:
    clients = Clients()
    clients.stub("sqs", "A", "eu-west-1").add_response("send_message", {"MessageId": "m", "MD5OfMessageBody": "x"}, {"QueueUrl": ANY, "MessageBody": ANY})
    outcome = _judge(ExpectDenied("A", "us-east-1", "send", queue="b-eu", line=7), clients)
    clients.verify()
    assert not outcome.ok
    assert outcome.line.startswith("expect_denied (A/us-east-1 send queue b-eu, line 7): expected to be refused, but AWS accepted the call")
    assert "queue policy statement AllowProducerAccountsToSend grants it" in outcome.line


def test_read_payloads_puts_a_probe_as_the_owner_and_removes_it() -> None:
    clients = Clients()
    owner = clients.stub("s3", "A", "us-east-1")
    owner.add_response("put_object", {}, {"Bucket": "payloads", "Key": ANY, "Body": ANY})
    owner.add_response("delete_object", {}, {"Bucket": "payloads", "Key": ANY})
    clients.stub("s3", "C", "us-east-1", secure=False).add_client_error("get_object", "AccessDenied", http_status_code=403)
    outcome = _judge(ExpectDenied("C", "us-east-1", "read_payloads", bucket="payloads", via="http"), clients)
    clients.verify()
    assert outcome.ok, outcome.line
    assert outcome.verdict.decision.statement.sid == "DenyInsecureTransport"


def test_an_allowed_subscription_is_removed_again() -> None:
    clients = Clients()
    sns = clients.stub("sns", "C", "us-east-1")
    arn = "arn:aws:sns:us-east-1:111111111111:orders:abc"
    sns.add_response("subscribe", {"SubscriptionArn": arn}, {"TopicArn": ANY, "Protocol": "sqs", "Endpoint": ANY, "ReturnSubscriptionArn": True})
    sns.add_response("unsubscribe", {}, {"SubscriptionArn": arn})
    outcome = _judge(ExpectDenied("C", "us-east-1", "subscribe", topic="orders", queue="c-us"), clients)
    clients.verify()
    assert not outcome.ok and "AllowCrossAccountSubscribe grants it" in outcome.line


def test_an_other_error_is_not_taken_for_a_denial() -> None:
    clients = Clients()
    clients.stub("sqs", "C", "eu-west-1").add_client_error("send_message", "AWS.SimpleQueueService.NonExistentQueue", http_status_code=400)
    outcome = _judge(ExpectDenied("C", "us-east-1", "send", queue="b-eu"), clients)
    assert not outcome.ok and "not an access denial" in outcome.line


def test_an_account_outside_the_run_is_judged_by_the_evaluator() -> None:
    outcome = _judge(ExpectDenied("999999999999", "us-east-1", "send", queue="b-eu"), Clients())
    assert outcome.ok and outcome.method == "evaluator"
    assert "outside the run" in outcome.line


@pytest.mark.parametrize("arrives", [True, False])
def test_deliver_probe_must_not_arrive(arrives: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harness.scenario.execute.denial_calls.uuid.uuid4", lambda: SimpleNamespace(hex="probe-token"))
    clock = iter([0.0, 0.0] + [100.0] * 10)  # one long poll, then the window is over
    monkeypatch.setattr("harness.scenario.execute.denial_calls.time.monotonic", lambda: next(clock))
    clients = Clients()
    clients.stub("sns", "A", "us-east-1").add_response("publish", {"MessageId": "m"}, {"TopicArn": ANY, "Message": ANY})
    sqs = clients.stub("sqs", "B", "eu-west-1")
    receive = {"QueueUrl": ANY, "MaxNumberOfMessages": 10, "WaitTimeSeconds": ANY}
    if arrives:
        sqs.add_response("receive_message", {"Messages": [{"MessageId": "1", "ReceiptHandle": "h", "Body": "... probe-token"}]}, receive)
        sqs.add_response("delete_message", {}, {"QueueUrl": ANY, "ReceiptHandle": "h"})
    else:
        sqs.add_response("receive_message", {}, receive)
    outcome = _judge(ExpectDenied("SNS", "", "deliver", topic="orders", queue="b-eu", within=0.5), clients)
    clients.verify()
    if arrives:
        assert not outcome.ok and "AllowSnsTopicsToDeliver grants it" in outcome.line
    else:
        assert outcome.ok and "did not reach queue b-eu" in outcome.line


def test_scenario_hops_follow_the_scenario() -> None:
    from harness.scenario.execute.access_step import scenario_hops
    from harness.scenario.format.loader import load_scenario

    def kinds(name: str, subscribed=None) -> list[tuple[str, str]]:
        sc = load_scenario(paths.SCENARIOS_DIR / f"{name}.scenario.yaml")
        return [(h.kind.value, h.subject) for h in scenario_hops(DEP, sc, subscribed)]

    assert kinds("offload-5mib") == [
        ("publish", "orders"), ("deliver", "b-eu"), ("deliver", "b-ap"),
        ("put_payload", "payloads"), ("get_payload", "b-eu"), ("get_payload", "b-ap"),
    ]
    assert kinds("payload-deleted-after-ack") == [("send", "b-eu"), ("put_payload", "payloads"), ("get_payload", "b-eu"), ("delete_payload", "b-eu")]
    assert kinds("fanout-small") == [("publish", "orders"), ("deliver", "b-eu"), ("deliver", "b-ap"), ("deliver", "c-us")]  # small: no bucket hops
    assert kinds("denied-outsider") == []


@pytest.mark.parametrize(("target", "endpoint", "method"), [("aws", None, "call"), ("aws", "http://127.0.0.1:4566", "evaluator"), ("localstack", "http://x", "evaluator")])
def test_real_calls_only_on_aws_itself(target: str, endpoint: str | None, method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.scenario.execute import access_step
    from harness.scenario.execute.denial_calls import DenialOutcome
    from harness.scenario.format.loader import load_scenario

    def entries(table: dict[str, Placed]) -> dict[str, SimpleNamespace]:
        return {n: SimpleNamespace(arn=p.arn, account_id=p.account_id, region=p.region, url=p.url) for n, p in table.items()}

    resources = {"topics": entries(DEP.topics), "queues": entries(DEP.queues), "buckets": entries(DEP.buckets)}
    manifest = SimpleNamespace(target=target, endpoint_url=endpoint, accounts=IDS, resources=resources, subscriptions=[],
                               topics=resources["topics"], queues=resources["queues"], buckets=resources["buckets"], functions={})
    monkeypatch.setattr(access_step, "read_policies", lambda *a, **k: POLICIES)
    monkeypatch.setattr(access_step, "attempt_denial", lambda entry, dep, hop, verdict, *a: DenialOutcome(entry, True, "call", "refused", verdict))
    check = access_step.check_access(manifest, None, load_scenario(paths.SCENARIOS_DIR / "denied-consumer-payloads.scenario.yaml"))
    assert [d.method for d in check.denials] == [method] * 3 and check.failures == []
    if endpoint and target == "aws":
        assert "endpoint override" in check.denials[0].line
