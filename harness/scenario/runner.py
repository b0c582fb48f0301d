"""Run one scenario against an applied run (its manifest) and measure it.

Flow: start one consumer thread per queue the scenario watches, send the batch (paced when a rate
is given), then wait until every expected delivery arrived or its deadline passed, plus a short
grace period to tell *late* from *missing*. Then the dead-letter and payload-deletion checks, then
the verdicts.

Two kinds of waiting, kept apart:
- *operation retries* (throttling, transient errors, eventual consistency) happen inside each AWS
  call, bounded and logged by :mod:`harness.retry`;
- *expectation polling* is this module's deadline loop: bounded by the scenario's ``within``.

Isolation: every message carries a correlation id ``<run-id>.<scenario token>.<seq>``; a consumer
acts only on its own scenario's messages, deletes stale ones of the same run (earlier scenarios'
leftovers) and leaves anything else untouched.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import zlib
from collections import defaultdict
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from harness import retry
from harness.console import ProgressSource, TransferProgress
from harness.errors import HarnessError, ServiceUnavailableError
from harness.provision.manifest import Manifest, ResourceEntry
from harness.payload.consumer import ConsumeSettings, Consumer
from harness.payload.generator import GeneratedPayload
from harness.payload.message import ReceivedMessage
from harness.payload.outcome import Expected, Outcome
from harness.payload.publisher import PublishSettings, Publisher
from harness.scenario.measure import PathKey, PathStats
from harness.scenario.model import Expect, Scenario
from harness.scenario.result import ERROR, ScenarioResult
from harness.provision.sessions import Sessions

log = logging.getLogger(__name__)

POLL_WAIT_SECONDS = 1  # long-poll slice: short, so deadlines are honoured closely
LATE_GRACE_SECONDS = 2.0
WATCH_JOIN_SECONDS = 600.0  # bound on finishing an in-flight verify after the scenario ends
PROGRESS_MIN_BYTES = 16 * 1024 * 1024

OUTCOME_COUNT = {
    Outcome.INTACT: "intact",
    Outcome.UNVERIFIED: "unverified",
    Outcome.CORRUPTED: "corrupted",
    Outcome.TRUNCATED: "truncated",
    Outcome.MISSING_OBJECT: "missing",
    Outcome.UNREADABLE_POINTER: "unreadable",
    Outcome.ACCESS_DENIED: "access_denied",
    Outcome.FETCH_FAILED: "missing",
}


@dataclass
class Sent:
    seq: int
    correlation_id: str
    payload: GeneratedPayload
    sha256: str
    group: str | None
    t_send: float  # harness clock, just before the publish call
    warmup: bool
    pointer: tuple[str, str] | None = None  # (bucket, key) when offloaded


@dataclass
class Delivery:
    correlation_id: str
    t_recv: float
    outcome: Outcome
    detail: str
    message: ReceivedMessage


@dataclass
class QueueWatch:
    """One consumer thread's findings for one queue."""

    name: str
    entry: ResourceEntry
    consumer: Consumer
    delete_payloads: bool
    deliveries: list[Delivery] = field(default_factory=list)
    error: str | None = None
    unreachable: bool = False  # the error was the endpoint going away


class ScenarioRunner:
    def __init__(self, manifest: Manifest, sessions: Sessions, show_progress: bool = False):
        self.manifest = manifest
        self.sessions = sessions
        self.show_progress = show_progress  # progress bars for transfers of PROGRESS_MIN_BYTES or more
        self._expected: dict[str, Expected] = {}  # correlation id -> what the consumer must find
        # Once the endpoint is gone, later scenarios are not run: each would spend its whole retry
        # budget on the same dead endpoint.
        self.unreachable_during: str | None = None
        self.not_run = 0

    # -- helpers ----------------------------------------------------------------------------------
    def _consumer(self, queue: str, delete_payloads: bool, bucket_region: str | None) -> Consumer:
        entry = self.manifest.queues[queue]
        sqs = self.sessions.client("sqs", entry.account, entry.region)
        s3 = self.sessions.client("s3", entry.account, bucket_region or entry.region)
        settings = ConsumeSettings(delete_payload=delete_payloads, wait_seconds=POLL_WAIT_SECONDS)
        return Consumer(sqs, s3, entry.url, settings)

    def _token(self, scenario: Scenario) -> str:
        return f"{self.manifest.run_id}.{scenario.name}.{uuid.uuid4().hex[:6]}"

    @staticmethod
    def _seed(correlation_id: str) -> int:
        return zlib.crc32(correlation_id.encode()) | (zlib.adler32(correlation_id.encode()) << 32)

    # -- the run ----------------------------------------------------------------------------------
    def run(self, scenario: Scenario) -> ScenarioResult:
        result = ScenarioResult(scenario.name, scenario.source)
        if self.unreachable_during is not None:
            self.not_run += 1
            result.status = ERROR
            result.failures.append(f"not run: the endpoint became unreachable during {self.unreachable_during}")
            return result
        started = time.monotonic()
        try:
            self._run(scenario, result)
        except ServiceUnavailableError as err:
            result.status = ERROR
            result.failures.append(str(err))
            self.unreachable_during = scenario.name
        except HarnessError as err:
            result.status = ERROR
            result.failures.append(str(err))
        except (ClientError, BotoCoreError) as err:
            result.status = ERROR
            result.failures.append(f"AWS call failed: {retry.error_code(err) if isinstance(err, ClientError) else ''} {err}")
        finally:
            result.duration_s = time.monotonic() - started
        return result

    def _run(self, scenario: Scenario, result: ScenarioResult) -> None:
        send = scenario.send
        token = self._token(scenario)
        bucket = self.manifest.buckets.get(send.bucket) if send.bucket else None
        bucket_region = bucket.region if bucket else None

        watches: dict[str, QueueWatch] = {}
        for exp in scenario.expect:
            watches[exp.queue] = QueueWatch(exp.queue, self.manifest.queues[exp.queue], self._consumer(exp.queue, exp.delete_payloads, bucket_region), exp.delete_payloads)
        for exp in scenario.expect_not:
            if exp.queue not in watches:
                watches[exp.queue] = QueueWatch(exp.queue, self.manifest.queues[exp.queue], self._consumer(exp.queue, False, bucket_region), False)

        stop = threading.Event()
        threads = [threading.Thread(target=self._watch, args=(w, token, stop), daemon=True, name=f"watch-{w.name}") for w in watches.values()]
        for t in threads:
            t.start()
        try:
            sent = self._send_all(scenario, token)
            self._wait(scenario, sent, watches, stop)
        finally:
            stop.set()
            for t, w in zip(threads, watches.values()):
                # A watcher may be mid-way through verifying a large payload: let it finish, bounded.
                t.join(timeout=POLL_WAIT_SECONDS + WATCH_JOIN_SECONDS)
                if t.is_alive() and not w.error:
                    w.error = f"still busy {WATCH_JOIN_SECONDS:.0f}s after the scenario ended; its deliveries cannot be trusted"
        for w in watches.values():
            if w.error:
                error = ServiceUnavailableError if w.unreachable else HarnessError
                raise error(f"consumer of queue {w.name} failed: {w.error}")

        self._evaluate(scenario, sent, watches, result)
        if scenario.dead_letter:
            self._dead_letter(scenario, sent, token, result, bucket_region)
        if scenario.payload_deleted_after_ack:
            self._check_payloads_deleted(sent, bucket, result)

    def _send_all(self, scenario: Scenario, token: str) -> list[Sent]:
        send = scenario.send
        bucket = self.manifest.buckets.get(send.bucket) if send.bucket else None
        if send.topic:
            target = self.manifest.topics[send.topic]
            client = self.sessions.client("sns", send.account, target.region)
        else:
            target = self.manifest.queues[send.queue or ""]
            client = self.sessions.client("sqs", send.account, target.region)
        s3 = self.sessions.client("s3", send.account, bucket.region if bucket else target.region)
        settings = PublishSettings(
            # A topology without a bucket can still run inline-only scenarios (the loader checked).
            bucket=bucket.name if bucket else "no-payload-bucket",
            always_through_s3=send.offload == "always",
            # The runner knows every payload's size and sha256 and hands them to its consumers, so
            # it needs no HarnessSha256 attribute: the inline/offload boundary stays the libraries'.
            inline_sha256=False,
        )
        publisher = Publisher(s3, settings, **({"sns": client} if send.topic else {"sqs": client}))
        attributes = {k: {"DataType": "String", "StringValue": v} for k, v in send.attributes.items()}
        interval = 1.0 / send.rate if send.rate else 0.0
        sent: list[Sent] = []
        next_at = time.monotonic()
        for seq in range(send.count):
            size = send.sizes[seq % len(send.sizes)].bytes
            cid = f"{token}.{seq}"
            payload = GeneratedPayload(self._seed(cid), size)
            self._expected[cid] = Expected(size, payload.sha256())
            source = payload
            if size >= PROGRESS_MIN_BYTES and self.show_progress:
                source = ProgressSource(payload, TransferProgress(f"{scenario.name} #{seq} upload", size))
            if interval:
                delay = next_at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                next_at += interval
            dedup = f"{token}-{seq}" if send.group else None
            copies = 2 if send.dedup == "repeat" and send.group else 1
            t_send = time.time()
            for _ in range(copies):
                kwargs = dict(attributes=attributes, correlation_id=cid, group_id=send.group, deduplication_id=dedup)
                if send.topic:
                    res = publisher.to_topic(target.arn, source, **kwargs)
                else:
                    res = publisher.to_queue(target.url, source, **kwargs)
            pointer = (res.pointer.bucket, res.pointer.key) if res.pointer else None
            sent.append(Sent(seq, cid, payload, res.sha256, send.group, t_send, seq < send.warmup, pointer))
        return sent

    def _watch(self, w: QueueWatch, token: str, stop: threading.Event) -> None:
        run_prefix = f"{self.manifest.run_id}."
        try:
            while not stop.is_set():
                for msg in w.consumer.receive(max_messages=10):
                    cid = msg.correlation_id or ""
                    if cid.startswith(token + "."):
                        sink = None
                        if self.show_progress and (msg.declared_size or 0) >= PROGRESS_MIN_BYTES:
                            bar = TransferProgress(f"{w.name} {cid.rsplit('.', 1)[-1]} download", msg.declared_size or 0)
                            sink = lambda chunk, bar=bar: bar.add(len(chunk))  # noqa: E731
                        verdict = w.consumer.verify(msg, self._expected.get(cid), sink)
                        # Received = the consumer holds the verified payload (per message, not per batch).
                        w.deliveries.append(Delivery(cid, time.time(), verdict.outcome, verdict.detail, msg))
                        self._delete(w, msg, w.delete_payloads)
                    elif cid.startswith(run_prefix):
                        log.info("queue %s: deleting a stale message of this run (%s)", w.name, cid)
                        self._delete(w, msg, False)
                    # anything else is not ours: leave it for its owner
        except ServiceUnavailableError as exc:
            w.error, w.unreachable = str(exc), True
        except (HarnessError, ClientError, BotoCoreError) as exc:
            w.error = str(exc)
        except Exception as exc:  # thread boundary: an unexpected error must reach the scenario, not vanish
            log.exception("consumer of queue %s crashed", w.name)
            w.error = f"unexpected {type(exc).__name__}: {exc}"

    @staticmethod
    def _delete(w: QueueWatch, msg, delete_payload: bool) -> None:
        """Acknowledge one message. A receipt handle that expired meanwhile is not fatal: the message
        comes back after its visibility timeout and is then counted as a duplicate."""
        try:
            w.consumer.delete(msg, delete_payload=delete_payload)
        except ClientError as exc:
            if retry.error_code(exc) not in ("ReceiptHandleIsInvalid", "InvalidParameterValue", "MessageNotInflight"):
                raise
            log.warning("queue %s: could not acknowledge a message (%s); it will be redelivered", w.name, retry.error_code(exc))

    def _wait(self, scenario: Scenario, sent: list[Sent], watches: dict[str, QueueWatch], stop: threading.Event) -> None:
        if not sent:
            return
        last_send = max(s.t_send for s in sent)
        waits = [e.within for e in scenario.expect] + [e.within for e in scenario.expect_not]
        if not waits:
            return
        deadline = last_send + max(waits)
        hard_deadline = deadline + (LATE_GRACE_SECONDS if scenario.expect else 0.0)
        want = {e.queue: len(sent) for e in scenario.expect}
        negative_until = last_send + max((e.within for e in scenario.expect_not), default=0.0)
        while time.time() < hard_deadline:
            complete = all(len({d.correlation_id for d in watches[q].deliveries}) >= n for q, n in want.items())
            if complete and time.time() >= negative_until:
                break
            if any(w.error for w in watches.values()):
                break
            time.sleep(0.05)

    # -- verdicts ---------------------------------------------------------------------------------
    def _path(self, scenario: Scenario, queue: str) -> PathKey:
        send, entry = scenario.send, self.manifest.queues[queue]
        return PathKey(send.account, send.region, send.via, entry.account, entry.region, queue)

    def _evaluate(self, scenario: Scenario, sent: list[Sent], watches: dict[str, QueueWatch], result: ScenarioResult) -> None:
        by_cid = {s.correlation_id: s for s in sent}
        for exp in scenario.expect:
            stats = PathStats(self._path(scenario, exp.queue))
            result.paths.append(stats)
            self._judge_expect(exp, sent, by_cid, watches[exp.queue], stats, result)
        for neg in scenario.expect_not:
            got = [d for d in watches[neg.queue].deliveries]
            if got:
                result.fail(
                    f"expect_not {neg.queue}: received {len(got)} of this scenario's messages within {neg.within:g}s "
                    f"(e.g. {got[0].correlation_id}); they should have been filtered out or not routed there"
                )

    def _judge_expect(self, exp: Expect, sent: list[Sent], by_cid: dict[str, Sent], w: QueueWatch, stats: PathStats, result: ScenarioResult) -> None:
        seen: dict[str, int] = defaultdict(int)
        order: dict[str | None, list[int]] = defaultdict(list)
        stats.count("sent", len(sent))
        for d in w.deliveries:
            s = by_cid.get(d.correlation_id)
            if s is None:
                continue
            seen[d.correlation_id] += 1
            if seen[d.correlation_id] > 1:
                stats.count("duplicate")
                continue
            stats.count("received")
            stats.count(OUTCOME_COUNT.get(d.outcome, "missing"))
            latency = d.t_recv - s.t_send
            if latency > exp.within:
                stats.count("late")
            order[s.group].append(s.seq)
            if not s.warmup:
                stats.record_latency(latency)
                ts = d.message.timestamps
                if ts.sns_timestamp_ms is not None:
                    stats.record_hop("publish_to_sns", ts.sns_timestamp_ms / 1000.0 - s.t_send)
                    if ts.sent_timestamp_ms is not None:
                        stats.record_hop("sns_to_sqs", (ts.sent_timestamp_ms - ts.sns_timestamp_ms) / 1000.0)
                if ts.sent_timestamp_ms is not None and ts.first_receive_timestamp_ms is not None:
                    stats.record_hop("sqs_to_first_receive", (ts.first_receive_timestamp_ms - ts.sent_timestamp_ms) / 1000.0)
            if d.outcome is not Outcome.INTACT and exp.intact:
                result.fail(f"{exp.queue}: message {s.seq} ({s.payload.size} B) is {_outcome_words(d.outcome)}: {d.detail}")
        lost = len(sent) - stats.counts["received"]
        stats.count("lost", lost)
        if lost:
            missing = [s.seq for s in sent if s.correlation_id not in seen][:10]
            result.fail(f"{exp.queue}: {lost} of {len(sent)} messages never arrived within {exp.within:g}s (+{LATE_GRACE_SECONDS:g}s grace); first missing seq {missing}")
        if stats.counts["late"]:
            result.fail(f"{exp.queue}: {stats.counts['late']} messages arrived later than {exp.within:g}s")
        if stats.counts["duplicate"] and not exp.duplicates_allowed:
            result.fail(f"{exp.queue}: {stats.counts['duplicate']} duplicate deliveries, but duplicates are forbidden here")
        if exp.ordered:
            for group, seqs in order.items():
                if seqs != sorted(seqs):
                    result.fail(f"{exp.queue}: group {group} arrived out of order: {seqs[:20]}")
        pct = stats.percentiles_ms()
        for name, limit in exp.latency.objectives().items():
            value = pct.get(name)
            if value is not None and value > limit:
                result.fail(f"{exp.queue}: latency {name} {value:.1f} ms exceeds the objective {limit:.1f} ms ({pct['count']} samples)")

    def _dead_letter(self, scenario: Scenario, sent: list[Sent], token: str, result: ScenarioResult, bucket_region: str | None) -> None:
        check = scenario.dead_letter
        assert check is not None
        source = self._consumer(check.queue, False, bucket_region)
        dlq = self._consumer(check.dead_letter_queue, False, bucket_region)
        by_cid = {s.correlation_id: s for s in sent}
        mine = set(by_cid)
        # The path into the DLQ is reported like any other; its latency is send → dead-lettered.
        stats = PathStats(self._path(scenario, check.dead_letter_queue))
        stats.count("sent", len(sent))
        result.paths.append(stats)
        rejected: dict[str, int] = defaultdict(int)
        arrived: set[str] = set()
        deadline = time.time() + check.within
        while time.time() < deadline and len(arrived) < len(mine):
            for msg in source.receive(max_messages=10, visibility_timeout=0):
                # visibility 0 = reject: the message is immediately receivable again, count + 1
                if msg.correlation_id in mine:
                    rejected[msg.correlation_id] += 1
            for msg in dlq.receive(max_messages=10, wait_seconds=0):
                cid = msg.correlation_id or ""
                if cid not in mine:
                    continue
                if cid in arrived:
                    stats.count("duplicate")
                else:
                    arrived.add(cid)
                    verdict = dlq.verify(msg, self._expected.get(cid))
                    stats.count("received")
                    stats.count(OUTCOME_COUNT.get(verdict.outcome, "missing"))
                    if not by_cid[cid].warmup:
                        stats.record_latency(time.time() - by_cid[cid].t_send)
                    if verdict.outcome is not Outcome.INTACT:
                        result.fail(f"{check.dead_letter_queue}: message {by_cid[cid].seq} is {_outcome_words(verdict.outcome)}: {verdict.detail}")
                dlq.delete(msg, delete_payload=False)
        stats.count("lost", len(mine) - len(arrived))
        note = f"dead_letter {check.queue} → {check.dead_letter_queue}: rejected {dict(rejected)} times, {len(arrived)}/{len(mine)} in the DLQ"
        result.notes.append(note)
        if len(arrived) < len(mine):
            result.fail(f"{note} after {check.within:g}s; the redrive policy did not move them")
        elif any(n < check.rejections for n in rejected.values()):
            result.fail(f"{note}: moved before {check.rejections} rejections")

    def _check_payloads_deleted(self, sent: list[Sent], bucket: ResourceEntry | None, result: ScenarioResult) -> None:
        pointers = [s.pointer for s in sent if s.pointer]
        if not pointers:
            result.fail("payload_deleted_after_ack: no message was offloaded, so there is no payload to check; use a size over the threshold")
            return
        assert bucket is not None
        s3 = self.sessions.client("s3", bucket.account, bucket.region)
        for b, key in pointers:
            try:
                s3.head_object(Bucket=b, Key=key)
            except ClientError as exc:
                if retry.error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                    continue
                raise
            result.fail(f"payload s3://{b}/{key} still exists after the consumer acknowledged its message")


def _outcome_words(outcome: Outcome) -> str:
    return {
        Outcome.MISSING_OBJECT: "missing payload (the S3 object is gone)",
        Outcome.CORRUPTED: "corrupted (sha256 mismatch)",
        Outcome.TRUNCATED: "truncated",
        Outcome.UNREADABLE_POINTER: "an unreadable pointer",
        Outcome.ACCESS_DENIED: "access denied to its payload",
        Outcome.UNVERIFIED: "unverified (no checksum to compare)",
        Outcome.FETCH_FAILED: "missing payload (fetch failed)",
    }.get(outcome, outcome.value)
