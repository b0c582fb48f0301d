"""What AWS does that the emulator hides, answered by botocore's Stubber with AWS's own error codes:
IAM / policy propagation right after an apply, throttling on bursts, new queues not yet visible.
Each is retried only when classified, always bounded, and logged with its error code."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from harness import retry
from harness.provision import targets
from harness.provision.targets import Reach, Target

NO_WAIT = dict(base_delay=0.0, max_delay=0.0)
TOPIC = "arn:aws:sns:us-east-1:111111111111:hx-r1-orders"
QUEUE = "https://sqs.eu-west-1.amazonaws.com/222222222222/hx-r1-b-eu"
FAST_SETTLE = retry.Settle("IAM/policy propagation after apply", retry.PROPAGATION_CODES, max_attempts=6, max_seconds=60, **NO_WAIT)
FAST_QUEUE = retry.Settle("new queue not yet visible", retry.NEW_QUEUE.codes, max_attempts=4, max_seconds=60, **NO_WAIT)


def _policy(*settle: retry.Settle, attempts: int = 5) -> retry.RetryPolicy:
    return retry.RetryPolicy(max_attempts=attempts, max_seconds=60, sleep=lambda s: None, **NO_WAIT).settling(*settle)


def _client(service: str, region: str = "us-east-1") -> Any:
    session = boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x", region_name=region)
    return session.client(service, config=retry.client_config())


@pytest.fixture
def sns() -> Iterator[tuple[Any, Stubber]]:
    client = _client("sns")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


@pytest.fixture
def sqs() -> Iterator[tuple[Any, Stubber]]:
    client = _client("sqs", "eu-west-1")
    with Stubber(client) as stub:
        yield client, stub


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "harness.retry"]


# -- IAM / policy propagation after apply --------------------------------------------------------
@pytest.mark.parametrize("code,status", [("AuthorizationError", 403), ("KMSAccessDenied", 400)])
def test_first_publishes_denied_while_policies_propagate_are_waited_out(
    sns: tuple[Any, Stubber], caplog: pytest.LogCaptureFixture, code: str, status: int
) -> None:
    client, stub = sns
    for _ in range(3):
        stub.add_client_error("publish", service_error_code=code, http_status_code=status, service_message="not yet")
    stub.add_response("publish", {"MessageId": "m-1"})
    with caplog.at_level(logging.WARNING, logger="harness.retry"):
        answer = retry.call("sns.Publish", client.publish, policy=_policy(FAST_SETTLE), TopicArn=TOPIC, Message="x")
    assert answer["MessageId"] == "m-1"
    warnings = _warnings(caplog)
    assert len(warnings) == 3
    assert f"sns.Publish failed with {code} (attempt 1 of 6)" in warnings[0]
    assert all("(IAM/policy propagation after apply)" in w for w in warnings)


def test_sqs_kms_denial_after_apply_is_propagation_too(sqs: tuple[Any, Stubber]) -> None:
    client, stub = sqs
    stub.add_client_error("send_message", service_error_code="KMS.AccessDeniedException", http_status_code=400)
    stub.add_response("send_message", {"MessageId": "m-2", "MD5OfMessageBody": "9dd4e461268c8034f5c8564e155c67a6"})
    answer = retry.call("sqs.SendMessage", client.send_message, policy=_policy(FAST_SETTLE), QueueUrl=QUEUE, MessageBody="x")
    assert answer["MessageId"] == "m-2"


def test_a_denial_that_stays_is_raised_after_the_bounded_wait(sns: tuple[Any, Stubber], caplog: pytest.LogCaptureFixture) -> None:
    client, stub = sns
    for _ in range(FAST_SETTLE.max_attempts):
        stub.add_client_error("publish", service_error_code="AuthorizationError", http_status_code=403)
    with caplog.at_level(logging.WARNING, logger="harness.retry"), pytest.raises(ClientError, match="AuthorizationError"):
        retry.call("sns.Publish", client.publish, policy=_policy(FAST_SETTLE), TopicArn=TOPIC, Message="x")
    warnings = _warnings(caplog)
    assert len(warnings) == FAST_SETTLE.max_attempts  # one per retry, then the give-up line
    assert "still failing with AuthorizationError after 6 attempt(s)" in warnings[-1] and "giving up" in warnings[-1]


def test_a_denial_fails_at_once_without_the_propagation_wait(sns: tuple[Any, Stubber]) -> None:
    client, stub = sns
    stub.add_client_error("publish", service_error_code="AuthorizationError", http_status_code=403)
    with pytest.raises(ClientError, match="AuthorizationError"):
        retry.call("sns.Publish", client.publish, policy=_policy(), TopicArn=TOPIC, Message="x")


def test_the_propagation_wait_is_bounded_in_time() -> None:
    """The time bound applies even when attempts are plenty (a real clock, tiny budget)."""
    settle = retry.Settle("IAM/policy propagation after apply", retry.PROPAGATION_CODES, 1000, 0.3, 0.05, 0.05)
    calls = []

    def denied(**kwargs: Any) -> None:
        calls.append(1)
        raise ClientError({"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "PutObject")

    with pytest.raises(ClientError):
        retry.call("s3.PutObject", denied, policy=retry.DEFAULT_POLICY.settling(settle))
    assert 2 <= len(calls) < 50


def test_assume_role_right_after_bootstrap_waits_for_the_trust_to_propagate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(targets, "ASSUME_ROLE_POLICY", _policy(FAST_SETTLE))
    sts = _client("sts")
    reach = Reach("B", "222222222222", role_arn="arn:aws:iam::222222222222:role/e2e-harness", session_name="e2e-harness-r1")
    expected = {"RoleArn": reach.role_arn, "RoleSessionName": "e2e-harness-r1"}
    creds = {"AccessKeyId": "ASIAEXAMPLEEXAMPLE", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2030-01-01T00:00:00Z"}
    with Stubber(sts) as stub:
        stub.add_client_error("assume_role", service_error_code="AccessDenied", http_status_code=403, expected_params=expected)
        stub.add_response("assume_role", {"Credentials": creds}, expected)
        got = Target("aws")._assume(sts, reach)
    assert got["access_key"] == "ASIAEXAMPLEEXAMPLE" and got["token"] == "t"


def test_the_aws_target_settles_after_apply_and_the_emulator_does_not() -> None:
    assert {retry.PROPAGATION, retry.NEW_QUEUE} <= set(Target("aws").retry_policy.settle)
    assert Target("aws", "http://127.0.0.1:4566").retry_policy == retry.AFTER_APPLY  # the rehearsal runs the AWS path
    assert Target("localstack", "http://127.0.0.1:4566").retry_policy.settle == ()


# -- throttling on bursts --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "service,operation,params,code,status",
    [
        ("sns", "publish", {"TopicArn": TOPIC, "Message": "x"}, "Throttling", 400),
        ("sns", "publish", {"TopicArn": TOPIC, "Message": "x"}, "ThrottlingException", 400),
        ("sqs", "send_message", {"QueueUrl": QUEUE, "MessageBody": "x"}, "RequestThrottled", 403),
        ("s3", "put_object", {"Bucket": "hx-r1-payloads-111111111111", "Key": "k", "Body": b"x"}, "SlowDown", 503),
    ],
    ids=lambda v: v if isinstance(v, str) and v[0].isupper() else None,
)
def test_bursts_that_meet_throttling_back_off_and_succeed(
    service: str, operation: str, params: dict, code: str, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    client = _client(service, "eu-west-1" if service == "sqs" else "us-east-1")
    answers = {"publish": {"MessageId": "m"}, "send_message": {"MessageId": "m", "MD5OfMessageBody": "9dd4e461268c8034f5c8564e155c67a6"}}
    with Stubber(client) as stub, caplog.at_level(logging.WARNING, logger="harness.retry"):
        stub.add_client_error(operation, service_error_code=code, http_status_code=status)
        stub.add_client_error(operation, service_error_code=code, http_status_code=status)
        stub.add_response(operation, answers.get(operation, {"ETag": '"e"'}))
        retry.call(f"{service}.{operation}", getattr(client, operation), policy=_policy(), **params)
    warnings = _warnings(caplog)
    assert len(warnings) == 2 and all(f"failed with {code}" in w and "(throttled)" in w for w in warnings)


def test_throttling_that_persists_is_bounded(sns: tuple[Any, Stubber], caplog: pytest.LogCaptureFixture) -> None:
    client, stub = sns
    for _ in range(3):
        stub.add_client_error("publish", service_error_code="Throttling", http_status_code=400)
    with caplog.at_level(logging.WARNING, logger="harness.retry"), pytest.raises(ClientError, match="Throttling"):
        retry.call("sns.Publish", client.publish, policy=_policy(FAST_SETTLE, attempts=3), TopicArn=TOPIC, Message="x")
    assert "giving up" in _warnings(caplog)[-1]


def test_throttling_waits_grow_with_jitter_up_to_the_cap() -> None:
    waits: list[float] = []
    policy = retry.RetryPolicy(max_attempts=6, max_seconds=1e6, base_delay=0.5, max_delay=2.0, sleep=waits.append)
    err = ClientError({"Error": {"Code": "ThrottlingException"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, "Publish")

    def throttled(**kwargs: Any) -> None:
        raise err

    with pytest.raises(ClientError):
        retry.call("sns.Publish", throttled, policy=policy)
    assert len(waits) == 5 and all(0 <= w <= 2.0 for w in waits)


# -- eventual visibility of new queues -------------------------------------------------------------
def test_a_new_queue_not_yet_visible_is_waited_for(sqs: tuple[Any, Stubber], caplog: pytest.LogCaptureFixture) -> None:
    client, stub = sqs
    stub.add_client_error("get_queue_url", service_error_code="AWS.SimpleQueueService.NonExistentQueue", http_status_code=400)
    stub.add_client_error("get_queue_url", service_error_code="AWS.SimpleQueueService.NonExistentQueue", http_status_code=400)
    stub.add_response("get_queue_url", {"QueueUrl": QUEUE})
    with caplog.at_level(logging.WARNING, logger="harness.retry"):
        url = retry.call("sqs.GetQueueUrl", client.get_queue_url, policy=_policy(FAST_QUEUE), QueueName="hx-r1-b-eu")["QueueUrl"]
    assert url == QUEUE
    assert all("AWS.SimpleQueueService.NonExistentQueue" in w and "(new queue not yet visible)" in w for w in _warnings(caplog))


def test_sqs_json_protocol_names_the_missing_queue_by_its_query_code() -> None:
    """SQS's JSON protocol answers QueueDoesNotExist with the legacy code in QueryErrorCode."""
    err = ClientError({"Error": {"Code": "QueueDoesNotExist", "QueryErrorCode": "AWS.SimpleQueueService.NonExistentQueue"}}, "SendMessage")
    assert retry.classify(err, settle=(retry.NEW_QUEUE,)) is retry.NEW_QUEUE
    assert retry.classify(err) is None  # not retried unless the call is right after creating it


def test_a_missing_queue_is_not_waited_for_unless_asked(sqs: tuple[Any, Stubber]) -> None:
    client, stub = sqs
    stub.add_client_error("get_queue_url", service_error_code="AWS.SimpleQueueService.NonExistentQueue", http_status_code=400)
    with pytest.raises(ClientError, match="NonExistentQueue"):
        retry.call("sqs.GetQueueUrl", client.get_queue_url, policy=_policy(FAST_SETTLE), QueueName="hx-r1-b-eu")


def test_classes() -> None:
    def err(code: str, status: int = 400) -> ClientError:
        return ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")

    assert retry.classify(err("SlowDown", 503)) == retry.THROTTLED
    assert retry.classify(err("InternalError", 500)) == retry.TRANSIENT
    assert retry.classify(err("AccessDenied", 403)) is None
    assert retry.classify(err("AccessDenied", 403), settle=retry.AFTER_APPLY.settle) is retry.PROPAGATION
    assert retry.classify(err("InvalidParameterValue"), settle=retry.AFTER_APPLY.settle) is None
    assert retry.AFTER_APPLY.settling(retry.PROPAGATION) == retry.AFTER_APPLY  # composition does not repeat a wait


def test_assumed_credentials_refresh_before_they_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run longer than the role's session (an hour on AWS) gets new credentials, not ExpiredToken."""
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    issued = iter(
        [
            ("ASIAFIRSTFIRSTFIRST", now + dt.timedelta(minutes=1)),  # inside botocore's refresh window
            ("ASIASECONDSECONDSEC", now + dt.timedelta(hours=1)),
        ]
    )

    def fake_assume(self: Target, sts: Any, reach: Reach) -> dict[str, str]:
        key, expiry = next(issued)
        return {"access_key": key, "secret_key": "s", "token": "t", "expiry_time": expiry.isoformat()}

    monkeypatch.setattr(Target, "_assume", fake_assume)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDHUBHUBHUBHUBHUB")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "hub")
    reach = Reach("B", "222222222222", role_arn="arn:aws:iam::222222222222:role/e2e-harness")
    credentials = Target("aws").session(reach, "eu-west-1").get_credentials()
    assert credentials.get_frozen_credentials().access_key == "ASIASECONDSECONDSEC"


def test_scenario_sends_and_receives_use_the_targets_retry_policy() -> None:
    """Scenario publishers and consumers take the run's policy: on AWS (and its rehearsal) the first
    calls after an apply wait out propagation; on the emulator they fail at once."""
    import boto3

    from harness.provision.manifest import Manifest, ResourceEntry
    from harness.scenario.execute.send import sender_for
    from harness.scenario.execute.watch import consumer_for
    from harness.scenario.format.model import Send

    class FakeSessions:
        def __init__(self, policy: retry.RetryPolicy):
            self.retry_policy = policy

        def client(self, service: str, account: str, region: str):
            return boto3.client(service, region_name=region, aws_access_key_id="x", aws_secret_access_key="y")

    manifest = Manifest("r1", "aws", None, "t", "t.yaml", "applied", "3.39.0")
    manifest.queues["q"] = ResourceEntry("B", "222222222222", "eu-west-1", "arn:aws:sqs:eu-west-1:222222222222:q",
                                         "q", "https://sqs.eu-west-1.amazonaws.com/222222222222/q")
    for policy in (retry.AFTER_APPLY, retry.DEFAULT_POLICY):
        sessions = FakeSessions(policy)
        consumer = consumer_for(manifest, sessions, "q", False, None)  # type: ignore[arg-type]
        assert consumer.settings.retry is policy
        sender = sender_for(manifest, sessions, Send("A", "eu-west-1", queue="q"), {}, None, None)  # type: ignore[arg-type]
        assert sender.publisher.settings.retry is policy


# -- SNS delivery right after apply: the settle canary (harness/scenario/execute/settle.py) ------------------
class _Sns:
    """SNS → SQS for the canary tests. Delivery to the queue starts working at poll ``works_at``
    (None: never). Before that, ``refused=True`` drops the message (SNS on a client-side error such as
    a queue policy not propagated yet); ``refused=False`` delivers it once delivery works (SNS's own
    retries with backoff)."""

    def __init__(self, sqs: _Sqs, works_at: int | None, refused: bool = True, raw: bool = True):
        self.sqs, self.works_at, self.refused, self.raw = sqs, works_at, refused, raw
        self.published: list[dict[str, Any]] = []

    def publish(self, **kwargs: Any) -> dict[str, str]:
        self.published.append(kwargs)
        if self.works_at is not None and (not self.refused or self.sqs.polls >= self.works_at):
            self.sqs.incoming.append((self.works_at, self._message(kwargs)))
        return {"MessageId": f"m-{len(self.published)}"}

    def _message(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        attributes = kwargs["MessageAttributes"]
        if self.raw:
            return {"MessageId": "q", "ReceiptHandle": f"rh-{len(self.published)}", "Body": kwargs["Message"],
                    "MessageAttributes": attributes, "Attributes": {}}
        envelope = {"Type": "Notification", "MessageId": "n", "TopicArn": kwargs["TopicArn"], "Message": kwargs["Message"],
                    "Timestamp": "2026-11-24T20:00:00.000Z",
                    "MessageAttributes": {k: {"Type": v["DataType"], "Value": v["StringValue"]} for k, v in attributes.items()}}
        return {"MessageId": "q", "ReceiptHandle": f"rh-{len(self.published)}", "Body": json.dumps(envelope), "Attributes": {}}


class _Sqs:
    def __init__(self, clock: list[float]):
        self.clock, self.polls = clock, 0
        self.incoming: list[tuple[int, dict[str, Any]]] = []  # (deliverable from poll, message)
        self.deleted: list[str] = []

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        self.polls += 1
        self.clock[0] += kwargs["WaitTimeSeconds"]  # an empty long poll takes its wait
        ready = [m for at, m in self.incoming if self.polls >= at and m["ReceiptHandle"] not in self.deleted]
        return {"Messages": ready[:10]}

    def delete_message(self, **kwargs: Any) -> dict[str, Any]:
        self.deleted.append(kwargs["ReceiptHandle"])
        return {}


class _World:
    def __init__(self, works_at: int | None, refused: bool = True, raw: bool = True, filter_policy: dict | None = None,
                 fifo: bool = False):
        from harness.provision.manifest import Manifest, ResourceEntry, SubscriptionEntry

        self.clock = [0.0]
        self.sqs = _Sqs(self.clock)
        self.sns = _Sns(self.sqs, works_at, refused, raw)
        self.retry_policy = retry.AFTER_APPLY
        self.manifest = Manifest("r1", "aws", None, "t", "t.yaml", "applied", "3.39.0")
        self.manifest.topics["orders"] = ResourceEntry("A", "111111111111", "us-east-1", TOPIC, "hx-r1-orders", fifo=fifo)
        self.manifest.queues["b-eu"] = ResourceEntry("B", "222222222222", "eu-west-1", QUEUE.replace("amazonaws.com", "x"),
                                                     "hx-r1-b-eu", QUEUE, fifo=fifo)
        self.manifest.resources["subscriptions"] = {"orders->b-eu": SubscriptionEntry("orders", "b-eu", "arn:sub", raw, filter_policy, "B")}

    def client(self, service: str, account: str, region: str) -> Any:
        assert (service, account) in {("sns", "A"), ("sqs", "B")}, "canaries go out as the topic's account, come in as the queue's"
        return self.sns if service == "sns" else self.sqs

    def settle(self, out: io.StringIO | None = None, budget: float = 120.0) -> list:
        from harness.scenario.execute.settle import SettleClock, settle_deliveries

        return settle_deliveries(self.manifest, self, out, budget, clock=SettleClock(lambda: self.clock[0], 1))  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", [True, False], ids=["raw", "envelope"])
def test_a_subscription_that_delivers_after_a_few_polls_settles_with_one_canary(raw: bool) -> None:
    """SNS retries a failed delivery with backoff: the one canary arrives late; it is received and deleted."""
    world = _World(works_at=5, refused=False, raw=raw)
    out = io.StringIO()
    [outcome] = world.settle(out)
    assert (outcome.status, outcome.canaries, outcome.seconds) == ("delivered", 1, 5.0)
    assert world.sqs.deleted == ["rh-1"]
    assert "settle: orders → b-eu delivers (5.0s after apply, 1 canary/ies)" in out.getvalue()


def test_a_refused_canary_is_published_again_until_one_is_delivered(caplog: pytest.LogCaptureFixture) -> None:
    """A delivery refused by a queue policy that has not propagated is dropped by SNS (client-side
    error, no retry): the canary goes out again every REPUBLISH_SECONDS until one arrives."""
    from harness.scenario.execute import settle

    world = _World(works_at=25, refused=True)
    with caplog.at_level(logging.WARNING, logger="harness.scenario.execute.settle"):
        [outcome] = world.settle()
    assert outcome.status == "delivered"
    assert outcome.canaries == 4  # published at 0, 10, 20 s (dropped) and 30 s
    assert 30 <= outcome.seconds <= 30 + settle.POLL_WAIT_SECONDS
    assert sum("canary" in r.getMessage() and "published" in r.getMessage() for r in caplog.records) == 3
    cids = [p["MessageAttributes"]["HarnessCorrelationId"]["StringValue"] for p in world.sns.published]
    assert cids == [f"r1.~canary.0.{k}" for k in range(4)]


def test_a_subscription_that_never_delivers_fails_naming_it_after_the_budget() -> None:
    from harness.scenario.execute.settle import REPUBLISH_SECONDS, DeliveryNotSettledError

    world = _World(works_at=None)
    out = io.StringIO()
    with pytest.raises(DeliveryNotSettledError) as caught:
        world.settle(out)
    message = str(caught.value)
    assert message.startswith("SNS has not delivered to queue b-eu (hx-r1-b-eu) from topic orders for 120 s after apply")
    assert f"check the queue policy allows sns.amazonaws.com with aws:SourceArn of topic {TOPIC}" in message
    assert 120 <= world.clock[0] <= 122  # bounded by the budget, not by attempts
    assert len(world.sns.published) == 120 / REPUBLISH_SECONDS
    assert "still waiting for SNS on orders → b-eu (15s of 120s)" in out.getvalue()


def test_the_canary_passes_the_subscriptions_filter_policy() -> None:
    world = _World(works_at=0, filter_policy={"kind": ["refund", "invoice"], "region": ["eu"]})
    world.settle()
    attributes = world.sns.published[0]["MessageAttributes"]
    assert attributes["kind"] == {"DataType": "String", "StringValue": "invoice"}
    assert attributes["region"]["StringValue"] == "eu" and attributes["HarnessCanary"]["StringValue"] == "settle"


def test_a_filter_policy_the_canary_cannot_model_is_said_and_not_waited_for() -> None:
    world = _World(works_at=None, filter_policy={"size": [{"numeric": [">", 1]}]})
    out = io.StringIO()
    [outcome] = world.settle(out)
    assert outcome.status == "not checked" and world.sns.published == []
    assert "orders → b-eu: its filter policy uses operators the canary does not model" in out.getvalue()


def test_fifo_canaries_carry_a_group_and_a_deduplication_id() -> None:
    world = _World(works_at=0, fifo=True)
    world.settle()
    published = world.sns.published[0]
    assert published["MessageGroupId"] == "harness-canary" and published["MessageDeduplicationId"] == "r1.~canary.0.0"


def test_messages_that_are_not_canaries_are_left_in_the_queue() -> None:
    world = _World(works_at=0)
    world.sqs.incoming.append((0, {"MessageId": "x", "ReceiptHandle": "foreign", "Body": "b", "Attributes": {},
                                   "MessageAttributes": {"HarnessCorrelationId": {"DataType": "String", "StringValue": "r2.s.abc.0"}}}))
    world.settle()
    assert world.sqs.deleted == ["rh-1"]


def test_a_late_canary_is_never_counted_by_a_scenario() -> None:
    """A canary that arrives after the settle step (SNS delivers at least once) is, to every scenario's
    watcher, a stale message of the run: deleted, never recorded — whatever the scenario is called."""
    from harness.payload.message import parse
    from harness.scenario.execute.settle import is_canary
    from harness.scenario.execute.watch import STALE, QueueWatch

    world = _World(works_at=0)
    world.sns.publish(TopicArn=TOPIC, Message="m", MessageAttributes={
        "HarnessCorrelationId": {"DataType": "String", "StringValue": "r1.~canary.0.3"}})
    msg = parse(world.sqs.incoming[-1][1], QUEUE, 0)
    assert is_canary(msg.correlation_id, "r1")
    for scenario in ("burst-500", "canary", "r1"):
        watch = QueueWatch("b-eu", None, f"r1.{scenario}.abc123", "r1", {})  # type: ignore[arg-type]
        assert watch.classify(msg) == STALE


def test_only_the_aws_target_settles_deliveries_after_apply() -> None:
    assert Target("aws").settles_deliveries
    assert Target("aws", "http://127.0.0.1:4566").settles_deliveries  # the rehearsal runs the AWS path
    assert not Target("localstack", "http://127.0.0.1:4566").settles_deliveries


@pytest.mark.parametrize("target", ["aws", "localstack"])
def test_the_driver_settles_after_apply_on_aws_and_a_failure_stops_every_scenario(
    target: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Right after `up`, before any scenario: on AWS (and its rehearsal) the settle step runs; when
    SNS never delivers, the driver refuses every scenario of that run with the settle error."""
    from pathlib import Path
    from types import SimpleNamespace

    from harness import run
    from harness.errors import HarnessError
    from harness.provision.manifest import Manifest
    from harness.scenario.execute.settle import DeliveryNotSettledError
    from harness.settings import Settings

    settled: list[str] = []

    def never(manifest: Manifest, sessions: Any, out: Any) -> None:
        settled.append(manifest.run_id)
        raise DeliveryNotSettledError("SNS has not delivered to queue b-eu (hx-r1-b-eu) from topic orders for 120 s after apply")

    topology = Path(tmp_path) / "t.topology.yaml"
    manifest = Manifest("r1", target, "http://127.0.0.1:1", "t", str(topology.resolve()), "applied", "3.39.0")
    monkeypatch.setattr(run, "check_topology_access", lambda topology: None)
    monkeypatch.setattr(run, "load_topology", lambda path: None)
    monkeypatch.setattr(run.lifecycle, "up", lambda *a, **k: SimpleNamespace(manifest=manifest))
    monkeypatch.setattr(run, "settle_deliveries", never)
    monkeypatch.setattr(run.emulator, "is_ready", lambda url: True)
    settings = Settings.from_env({}, state_dir=tmp_path, endpoint_url="http://127.0.0.1:1")
    driver = run.Driver(settings, target, out=io.StringIO())
    if target == "localstack":
        assert driver.apply(topology) is manifest and settled == []
        return
    for _ in range(2):  # the first apply and every later scenario of the run
        with pytest.raises(HarnessError, match="SNS has not delivered to queue b-eu"):
            driver.apply(topology)
    assert settled == ["r1"]  # waited once, after the apply


@pytest.mark.parametrize("target", ["aws", "localstack"])
def test_harness_up_settles_on_aws_and_says_the_run_stays_applied(
    target: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`harness up --target aws` followed by `harness run` must meet the same settled deliveries as
    e2e: `up` waits for the canaries; when SNS never delivers it fails, saying the run stays applied."""
    from types import SimpleNamespace

    from harness import cli
    from harness.provision.manifest import Manifest
    from harness.scenario.execute import settle
    from harness.scenario.execute.settle import DeliveryNotSettledError

    topology = Path(tmp_path) / "t.topology.yaml"
    manifest = Manifest("r1", target, "http://127.0.0.1:1", "t", str(topology), "applied", "3.39.0")
    settled: list[str] = []

    def never(manifest: Manifest, sessions: Any, out: Any) -> None:
        settled.append(manifest.run_id)
        raise DeliveryNotSettledError("SNS has not delivered to queue b-eu (hx-r1-b-eu) from topic orders for 120 s after apply")

    monkeypatch.setattr(cli, "_load_authorised", lambda path: None)
    monkeypatch.setattr(cli.lifecycle, "up", lambda *a, **k: SimpleNamespace(manifest=manifest))
    monkeypatch.setattr(cli.emulator, "current_endpoint", lambda settings: "http://127.0.0.1:1")
    monkeypatch.setattr(settle, "settle_deliveries", never)
    monkeypatch.setattr("harness.provision.sessions.Sessions.for_manifest", staticmethod(lambda m: None))
    monkeypatch.setenv("HARNESS_STATE_DIR", str(tmp_path))
    code = cli.main(["up", "--topology", str(topology), "--target", target, "--endpoint-url", "http://127.0.0.1:1"])
    err = capsys.readouterr().err
    if target == "localstack":
        assert code == 0 and settled == []
        return
    assert code != 0 and settled == ["r1"]
    assert "SNS has not delivered to queue b-eu" in err and "run r1 stays applied" in err, err


@pytest.mark.parametrize("target", ["aws", "localstack"])
def test_a_change_settles_the_new_topology_before_its_scenarios_on_aws(target: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`harness change` / `harness accept` re-apply a run: on AWS the new subscriptions and changed
    queue policies propagate as after `up`, so NEW's scenarios wait for the canaries first; when SNS
    never delivers, every one of them is refused with the settle error instead of failing as lost."""
    from types import SimpleNamespace

    from harness import run
    from harness.provision.manifest import Manifest
    from harness.scenario.execute.settle import DeliveryNotSettledError
    from harness.settings import Settings

    topology = Path(tmp_path) / "new.topology.yaml"
    manifest = Manifest("r1", target, "http://127.0.0.1:1", "t", str(topology.resolve()), "applied", "3.39.0")
    calls: list[str] = []

    def never(manifest: Manifest, sessions: Any, out: Any) -> None:
        calls.append("settle")
        raise DeliveryNotSettledError("SNS has not delivered to queue b-new (hx-r1-b-new) from topic orders for 120 s after apply")

    monkeypatch.setattr(run, "settle_deliveries", never)
    monkeypatch.setattr(run, "discover_scenarios", lambda d: [])
    monkeypatch.setattr(run, "validate_scenario_files", lambda files: [])
    monkeypatch.setattr(run.execute, "change", lambda *a, **k: SimpleNamespace(applied=True, scenarios=None, scenarios_run=False))
    settings = Settings.from_env({}, state_dir=tmp_path, endpoint_url="http://127.0.0.1:1")
    driver = run.Driver(settings, target, out=io.StringIO())
    original_run_all = driver.run_all

    def run_all(scenarios: Any) -> Any:
        calls.append("scenarios")
        return original_run_all(scenarios)

    monkeypatch.setattr(driver, "run_all", run_all)
    run._change_and_judge(driver, manifest, topology, tmp_path, run.ChangeOptions(), io.StringIO())
    if target == "localstack":
        assert calls == ["scenarios"]
        return
    assert calls == ["settle", "scenarios"]
    with pytest.raises(run.HarnessError, match="SNS has not delivered to queue b-new"):
        driver.apply(topology)  # what every scenario of the changed run meets
