"""Every expectation kind, on a real LocalStack, shown to pass when it should and fail when it should."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness import paths
from harness.payload.consumer import Consumer
from harness.provision.manifest import STATUS_DESTROYED, STATUS_GONE, Manifest
from harness.scenario.execute.runner import ScenarioRunner
from harness.scenario.format.loader import load_scenario
from harness.scenario.format.model import Scenario
from harness.scenario.judge.result import FAILED, PASSED
from harness.settings import Settings
from tests.scenarios.kit import run_scenario, write_scenario

REF = paths.REFERENCE_TOPOLOGY


@pytest.fixture(scope="module")
def applied(reference_run: Manifest) -> Manifest:
    return reference_run  # the session's: what a scenario takes away (an outage) it puts back


def _scenario(tmp_path: Path, name: str, body: str) -> Scenario:
    return write_scenario(tmp_path, REF, name, body)


_run = run_scenario


def test_filtered_out_queue_fails_expect_and_passes_expect_not(applied: Manifest, tmp_path: Path) -> None:
    send = "send: {from: A/us-east-1, topic: orders, count: 3, attributes: {kind: refund}}\n"
    positive = _run(applied, _scenario(tmp_path, "wrongly-expected", send + "expect:\n  - {queue: c-us, within: 2s}\n  - {queue: b-eu, within: 5s}\n"))
    assert positive.status == FAILED
    assert any("c-us: 3 of 3 messages never arrived" in f for f in positive.failures), positive.failures
    c_path = [p for p in positive.paths if p.key.queue == "c-us"][0]
    assert c_path.counts["sent"] == 3 and c_path.counts["received"] == 0 and c_path.counts["lost"] == 3
    b_path = [p for p in positive.paths if p.key.queue == "b-eu"][0]
    assert b_path.counts["intact"] == 3

    negative = _run(applied, _scenario(tmp_path, "rightly-excluded", send + "expect:\n  - {queue: b-eu, within: 5s}\nexpect_not:\n  - {queue: c-us, within: 2s}\n"))
    assert negative.status == PASSED, negative.failures


def test_expect_not_fails_when_the_message_does_arrive(applied: Manifest, tmp_path: Path) -> None:
    sc = _scenario(tmp_path, "leaky", """\
        send: {from: A/us-east-1, topic: orders, count: 2, attributes: {kind: invoice}}
        expect:
          - {queue: b-eu, within: 5s}
        expect_not:
          - {queue: c-us, within: 3s}
        """)
    result = _run(applied, sc)
    assert result.status == FAILED
    assert any(f.startswith("expect_not c-us: received 2") for f in result.failures), result.failures


def test_deleted_payload_fails_with_missing_payload_not_a_traceback(applied: Manifest, tmp_path: Path, monkeypatch, aws) -> None:
    bucket = applied.buckets["payloads"]
    s3 = aws("s3", bucket.account_id, bucket.region)
    original = Consumer.verify

    def verify_after_deleting(self, message, expected=None, sink=None):
        if message.pointer is not None:  # the object vanishes between send and receive
            s3.delete_object(Bucket=message.pointer.bucket, Key=message.pointer.key)
        return original(self, message, expected, sink)

    monkeypatch.setattr(Consumer, "verify", verify_after_deleting)
    sc = _scenario(tmp_path, "payload-vanishes", """\
        send: {from: A/us-east-1, queue: b-eu, count: 1, size: 2MiB}
        expect:
          - {queue: b-eu, within: 5s}
        """)
    result = _run(applied, sc)
    assert result.status == FAILED
    missing, dangling = result.failures
    assert "missing payload" in missing, result.failures
    # the implied payload accounting (issue 23) names the same message as a dangling pointer
    assert dangling.startswith("dangling_pointers: 1 delivered pointer(s) whose object was gone") and dangling.endswith(".0")
    assert result.paths[0].counts["missing"] == 1 and result.paths[0].counts["intact"] == 0


def test_fifo_order_and_latency_objective_are_enforced(applied: Manifest, tmp_path: Path) -> None:
    ok = _run(applied, _scenario(tmp_path, "fifo-ok", """\
        send: {from: A/us-east-1, topic: orders-fifo, count: 10, group: g7, dedup: repeat}
        expect:
          - {queue: b-eu-fifo, within: 10s, ordered: true, duplicates: forbidden}
        """))
    assert ok.status == PASSED, ok.failures
    assert ok.paths[0].counts["received"] == 10 and ok.paths[0].counts["duplicate"] == 0
    strict = _run(applied, _scenario(tmp_path, "too-strict", """\
        send: {from: A/us-east-1, queue: b-eu, count: 5}
        expect:
          - {queue: b-eu, within: 5s, latency: {p50: 1ms}}
        """))
    assert strict.status == FAILED
    assert any("latency p50" in f and "exceeds the objective 1.0 ms" in f for f in strict.failures), strict.failures


def test_dead_letter_expectation_and_its_failure(applied: Manifest, tmp_path: Path) -> None:
    ok = _run(applied, _scenario(tmp_path, "dlq", """\
        send: {from: A/us-east-1, queue: b-eu, count: 1}
        dead_letter: {queue: b-eu, rejections: 3, within: 20s}
        """))
    assert ok.status == PASSED, ok.failures
    assert "1/1 in the DLQ" in ok.notes[0]
    [path] = [p.as_dict() for p in ok.paths]
    assert path["to"] == {"account": "B", "region": "eu-west-1", "queue": "b-eu-dlq"}
    assert {k: path["counts"][k] for k in ("sent", "received", "intact", "lost")} == {"sent": 1, "received": 1, "intact": 1, "lost": 0}
    assert path["latency_ms"]["count"] == 1
    # A DLQ check with too little time cannot see the redrive happen: it must fail, not pass.
    too_short = _run(applied, _scenario(tmp_path, "dlq-too-short", """\
        send: {from: A/us-east-1, queue: b-eu, count: 1}
        dead_letter: {queue: b-eu, rejections: 3, within: 1ms}
        """))
    assert too_short.status == FAILED
    assert "0/1 in the DLQ" in too_short.failures[0]
    assert too_short.paths[0].counts["lost"] == 1


def test_payload_deleted_after_ack_detects_a_payload_left_behind(applied: Manifest, tmp_path: Path) -> None:
    ok = _run(applied, _scenario(tmp_path, "deleted", """\
        send: {from: A/us-east-1, queue: b-eu, count: 1, size: 2MiB}
        expect:
          - {queue: b-eu, within: 5s, delete_payloads: true}
        payload_deleted_after_ack: true
        """))
    assert ok.status == PASSED, ok.failures
    kept = _run(applied, _scenario(tmp_path, "kept", """\
        send: {from: A/us-east-1, queue: b-eu, count: 1, size: 2MiB}
        expect:
          - {queue: b-eu, within: 5s, delete_payloads: false}
        payload_deleted_after_ack: true
        """))
    assert kept.status == FAILED
    assert "still exists after the consumer acknowledged" in kept.failures[0]


def test_pytest_collects_scenario_files_as_items(applied: Manifest, endpoint_url: str, tmp_path: Path) -> None:
    (tmp_path / "reference.topology.yaml").write_text(REF.read_text())
    (tmp_path / "tiny.scenario.yaml").write_text(textwrap.dedent("""\
        name: tiny
        topology: reference.topology.yaml
        send: {from: A/us-east-1, queue: b-eu, count: 2}
        expect:
          - {queue: b-eu, within: 5s}
        """))
    (tmp_path / "never.scenario.yaml").write_text(textwrap.dedent("""\
        name: never
        topology: reference.topology.yaml
        send: {from: A/us-east-1, topic: orders, count: 1, attributes: {kind: refund}}
        expect:
          - {queue: c-us, within: 1s}
        """))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(tmp_path), "-q",
         "--harness-endpoint", endpoint_url, "--harness-reports", str(tmp_path / "reports"), "-p", "no:cacheprovider"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "1 failed, 1 passed" in out, out
    assert "c-us: 1 of 1 messages never arrived" in out
    [report_dir] = list((tmp_path / "reports").iterdir())
    assert {p.name for p in report_dir.iterdir()} >= {"report.json", "junit.xml", "report.html", "report.md"}
    assert Manifest.load(report_dir.name, Settings.from_env(os.environ)).status == STATUS_DESTROYED


def test_stopped_localstack_gives_one_clear_error_and_cleanup_still_runs(tmp_path: Path, monkeypatch) -> None:
    """e2e with its own emulator, killed in the middle of the first scenario."""
    from harness import emulator, run

    settings = Settings.from_env(os.environ, state_dir=tmp_path / "state", reports_dir=tmp_path / "reports")
    scen_dir = tmp_path / "scen"
    scen_dir.mkdir()
    for name in ("one", "two"):
        (scen_dir / f"{name}.scenario.yaml").write_text(f"name: {name}\ntopology: {REF}\nsend: {{from: A/us-east-1, queue: b-eu, count: 3}}\nexpect:\n  - {{queue: b-eu, within: 5s}}\n")
    original = ScenarioRunner._send

    def die_then_send(self, attempt):
        emulator.HostEmulator(settings).stop()  # LocalStack goes away under the run
        return original(self, attempt)

    monkeypatch.setattr(ScenarioRunner, "_send", die_then_send)
    # not 4566: another LocalStack (a developer's, a parallel session's) may hold it
    monkeypatch.setattr("harness.emulator.host.choose_port", lambda preferred=0: emulator.ephemeral_port())
    out = io.StringIO()
    code = run.e2e(settings, REF, scen_dir, out=out)
    text = out.getvalue()
    assert code == 1, text
    assert "Traceback" not in text
    error_lines = [line for line in text.splitlines() if line.strip().startswith("✗")]
    assert len(error_lines) >= 1 and "unreachable" in error_lines[0].lower(), text
    assert "nothing left to destroy" in text, text
    assert "LocalStack was already stopped" in text, text  # this test stopped it; e2e must not fail on that
    assert emulator.read_state(settings.emulator_dir) is None
    runs = list((tmp_path / "state" / "runs").iterdir())
    # Its resources died with the emulator: recorded as gone (issue 9 #6), so no later run or down picks it.
    assert Manifest.load(runs[0].name, settings).status == STATUS_GONE
    report = json.loads((settings.reports_dir / runs[0].name / "report.json").read_text())
    assert [(s["name"], s["status"]) for s in report["scenarios"]] == [("one", "error"), ("two", "error")]
    assert report["scenarios"][1]["failures"] == ["not run: the endpoint became unreachable during one"]
    assert "1 remaining scenario(s) not run" in text


@pytest.mark.parametrize("file,limit", [("sns-size-boundaries", 262144), ("sqs-size-boundaries", 1048576)])
def test_named_size_boundaries_go_inline_up_to_the_limit_and_through_s3_one_byte_over(
    applied: Manifest, aws, monkeypatch, file: str, limit: int
) -> None:
    """Issue 10 #7: ``<x>_limit`` is the size on the wire, so it stays inline and ``+1`` is offloaded;
    the payload bucket holds exactly the offloaded ones."""
    from harness.payload import wire
    from harness.scenario.execute.send import SendLog, wire_attributes

    recorded = []
    original = SendLog.record
    monkeypatch.setattr(SendLog, "record", lambda self, sent: (recorded.append(sent), original(self, sent))[1])
    sc = load_scenario(paths.SCENARIOS_DIR / f"{file}.scenario.yaml")
    result = _run(applied, sc)
    assert result.status == PASSED, result.failures
    by_text = {sc.send.sizes[s.seq % len(sc.send.sizes)].text: s for s in recorded}
    name = file.split("-")[0] + "_limit"
    attrs = wire_attributes(sc.send.attributes)
    for text in (f"{name}-1", name):
        sent = by_text[text]
        own = {wire.CORRELATION_ATTRIBUTE: {"DataType": "String", "StringValue": sent.correlation_id}}
        assert sent.pointer is None, f"{text} went through S3"
        assert wire.message_bytes(sent.size, {**attrs, **own}) == (limit if text == name else limit - 1)
    over = by_text[f"{name}+1"]
    assert over.pointer is not None, f"{name}+1 stayed inline"
    bucket = applied.buckets["payloads"]
    s3 = aws("s3", bucket.account_id, bucket.region)
    assert over.pointer[0] == bucket.name
    assert s3.head_object(Bucket=bucket.name, Key=over.pointer[1])["ContentLength"] == over.size
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket.name).get("Contents", [])}
    assert {s.pointer[1] for s in recorded if s.pointer} <= keys
    assert result.sent == len(recorded) == sc.send.count


def test_sent_is_counted_for_a_scenario_with_only_expect_not(applied: Manifest, tmp_path: Path) -> None:
    """Issue 10 #8: a scenario whose only check is expect_not reports what it sent, not 0."""
    from harness.report import console_summary
    from harness.scenario.judge.result import RunReport

    result = _run(applied, _scenario(tmp_path, "only-not", """\
        send: {from: A/us-east-1, topic: orders, count: 3, attributes: {kind: refund}}
        expect_not:
          - {queue: c-us, within: 2s}
        """))
    assert result.status == PASSED, result.failures
    assert result.sent == 3 and result.as_dict()["sent"] == 3 and result.paths == []
    report = RunReport("r", "localstack", None, "reference", scenarios=[result])
    [row] = [line for line in console_summary(report).splitlines() if line.startswith("only-not")]
    assert row.split()[3] == "3", row


def test_several_sends_from_different_accounts_are_judged_per_path(applied: Manifest, tmp_path: Path) -> None:
    """Issue 10 #2: A publishes to orders while B sends straight to c-us; c-us gets both (two paths),
    b-eu only A's, and each message is judged on its own path."""
    result = _run(applied, _scenario(tmp_path, "two-producers", """\
        sends:
          - {from: A/us-east-1, topic: orders, count: 3, attributes: {kind: invoice}}
          - {from: B/eu-west-1, queue: c-us, count: 2, rate: 10}
        expect:
          - {queue: c-us, within: 10s}
          - {queue: b-eu, within: 10s}
        """))
    assert result.status == PASSED, result.failures
    counts = {(p.key.from_account, p.key.via, p.key.queue): (p.counts["sent"], p.counts["intact"]) for p in result.paths}
    assert counts == {("A", "topic:orders", "c-us"): (3, 3), ("B", "queue:c-us", "c-us"): (2, 2), ("A", "topic:orders", "b-eu"): (3, 3)}
    assert result.sent == 5


def test_subscription_dead_letter_receives_what_sns_cannot_deliver_and_the_queue_comes_back(applied: Manifest, tmp_path: Path, aws) -> None:
    """Issue 10 #6: b-eu is deleted while the scenario sends (the one failure both AWS and LocalStack
    4.13.1 dead-letter), so every message lands in the subscription's DLQ b-sub-dlq; b-eu is then
    restored with its attributes and tags, and delivers again."""
    queue = applied.queues["b-eu"]
    sqs = aws("sqs", queue.account_id, queue.region)
    before = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])["Attributes"]
    tags_before = sqs.list_queue_tags(QueueUrl=queue.url).get("Tags", {})
    result = _run(applied, _scenario(tmp_path, "sub-dlq", """\
        send: {from: A/us-east-1, topic: orders, count: 3, attributes: {kind: invoice}}
        subscription_dead_letter: {queue: b-eu, within: 20s}
        expect:
          - {queue: b-ap, within: 10s}
        """))
    assert result.status == PASSED, result.failures
    counts = {p.key.queue: (p.counts["sent"], p.counts["intact"]) for p in result.paths}
    assert counts == {"b-ap": (3, 3), "b-sub-dlq": (3, 3)}
    after = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])["Attributes"]
    for name in ("VisibilityTimeout", "MessageRetentionPeriod", "RedrivePolicy", "Policy", "MaximumMessageSize"):
        assert after.get(name) == before.get(name), name
    assert sqs.list_queue_tags(QueueUrl=queue.url).get("Tags", {}) == tags_before
    again = _run(applied, _scenario(tmp_path, "b-eu-back", """\
        send: {from: A/us-east-1, topic: orders, count: 2}
        expect:
          - {queue: b-eu, within: 10s}
        """))
    assert again.status == PASSED, again.failures


def _harness_run(applied: Manifest, scenario: Path, reports: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HARNESS_REPORTS_DIR": str(reports)}  # HARNESS_STATE_DIR: the session's, where the run is recorded
    return subprocess.run([sys.executable, "-m", "harness.cli", "run", "--run-id", applied.run_id, str(scenario), *extra],
                          capture_output=True, text=True, env=env, timeout=300)


def test_a_rate_the_machine_cannot_produce_is_inconclusive_never_green(applied: Manifest, tmp_path: Path) -> None:
    """Thousands of msg/s fanned out to two queues: no sender here keeps that rate. The scenario is
    inconclusive, `harness run` exits 3 (0 only when told to accept it), and every report opens with
    the send-rate objective, its measured rate and a ✗."""
    sc = _scenario(tmp_path, "too-fast", """\
        send: {from: A/us-east-1, topic: orders, count: 1500, rate: 5000, size: 256B, attributes: {kind: refund}}
        expect:
          - {queue: b-eu, within: 60s}
          - {queue: b-ap, within: 60s}
        """)
    proc = _harness_run(applied, Path(sc.source), tmp_path / "reports")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    report_dir = next((tmp_path / "reports").iterdir())
    data = json.loads((report_dir / "report.json").read_text())
    [scenario] = data["scenarios"]
    assert scenario["status"] == "inconclusive" and scenario["failures"] == []
    [rate] = [o for o in scenario["objectives"] if o["what"] == "send rate"]
    assert rate["result"] == "missed" and rate["kind"] == "condition" and rate["bound"].startswith("≥ 4100.3 msg/s (95% of 5000 msg/s, first to last send, 50 ms allowed)")
    assert rate["measured_value"] < rate["bound_value"] < 4750
    line = f"✗ send rate (condition) [{rate['where']}]: {rate['measured']}, bound {rate['bound']}"
    assert line in proc.stdout.split("\n\nscenario")[0], "the console opens with the verdict"
    md = (report_dir / "report.md").read_text()
    assert md.index("send rate") < md.index("```mermaid") and f"| ✗ | send rate (condition) | {rate['where']} | {rate['measured']} |" in md
    html_text = (report_dir / "report.html").read_text()
    assert html_text.index("send rate") < html_text.index("Delivery paths") and "inconclusive" in html_text.split("</table>")[0]
    junit = (report_dir / "junit.xml").read_text()
    assert '<skipped message="inconclusive: ✗ send rate' in junit
    accepted = _harness_run(applied, Path(sc.source), tmp_path / "reports2", "--accept-inconclusive", "--output", "json")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    doc = json.loads(accepted.stdout)  # progress went to stderr: stdout is one document
    assert doc["command"] == "run" and doc["ok"] and doc["report"]["scenarios"][0]["status"] == "inconclusive"


def test_a_latency_bound_a_large_payload_cannot_meet_fails_and_shows_the_measured_p99(applied: Manifest, tmp_path: Path) -> None:
    sc = _scenario(tmp_path, "p99-1ms", """\
        send: {from: A/us-east-1, topic: orders, size: 20MiB, attributes: {kind: refund}}
        expect:
          - {queue: b-eu, within: 60s, latency: {p99: 1ms}}
        """)
    proc = _harness_run(applied, Path(sc.source), tmp_path / "reports")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report_dir = next((tmp_path / "reports").iterdir())
    [scenario] = json.loads((report_dir / "report.json").read_text())["scenarios"]
    [p99] = [o for o in scenario["objectives"] if o["what"] == "latency p99"]
    assert scenario["status"] == "failed" and p99["result"] == "missed" and p99["bound"] == "≤ 1.0 ms" and p99["measured_value"] > 1
    assert f"✗ latency p99 [{p99['where']}]: {p99['measured']}, bound ≤ 1.0 ms" in proc.stdout.split("\n\nscenario")[0]
    md = (report_dir / "report.md").read_text()
    assert md.index("latency p99") < md.index("```mermaid")
    annotated = _harness_run(applied, Path(sc.source), tmp_path / "reports2", "--output", "github")
    line = next(n for n, text in enumerate(Path(sc.source).read_text().splitlines(), 1) if "p99: 1ms" in text)
    assert f"::error file={sc.source},line={line},title=p99-1ms%3A latency p99::latency p99 [" in annotated.stdout, annotated.stdout[-2000:]


def test_the_report_states_the_requests_each_path_made(applied: Manifest, tmp_path: Path) -> None:
    """Counted on the run's clients: the sends on the path's queue, its receives and deletes."""
    sc = _scenario(tmp_path, "counted", """\
        send: {from: A/us-east-1, queue: b-eu, count: 25, senders: 1}
        expect:
          - {queue: b-eu, within: 20s}
        """)
    result = _run(applied, sc)
    assert result.status == PASSED, result.failures
    [path] = result.paths
    by_op = result.requests["by_operation"] if result.requests else {}
    sends = by_op.get("sqs.SendMessageBatch", 0) + by_op.get("sqs.SendMessage", 0)
    assert path.requests["publish"] == sends == 3, (by_op, path.requests)  # 25 messages from one sender: 10 + 10 + 5
    deletes = by_op.get("sqs.DeleteMessageBatch", 0) + by_op.get("sqs.DeleteMessage", 0)
    assert 3 <= deletes <= 25 and path.requests["receive"] == by_op["sqs.ReceiveMessage"] + deletes
    assert path.requests["empty_receives"] <= by_op["sqs.ReceiveMessage"] and path.requests["s3"] == 0
    assert result.requests is not None and result.requests["total"] >= sends + deletes + by_op["sqs.ReceiveMessage"]
