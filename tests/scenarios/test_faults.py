"""Issue 23's checks on a real LocalStack: faults injected, judged, reported — and undone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import paths
from harness.provision.manifest import Manifest
from harness.run import exit_status
from harness.scenario.format.loader import load_scenario
from harness.scenario.format.model import Scenario
from harness.scenario.judge.result import FAILED, INCONCLUSIVE, PASSED, RunReport, ScenarioResult
from tests.scenarios.kit import applied_run, run_scenario, write_scenario

REF = paths.REFERENCE_TOPOLOGY
pytestmark = pytest.mark.localstack


@pytest.fixture(scope="module")
def applied(endpoint_url: str) -> Iterator[Manifest]:
    with applied_run(REF, endpoint_url) as manifest:
        yield manifest


def _scenario(tmp_path: Path, name: str, body: str) -> Scenario:
    return write_scenario(tmp_path, REF, name, body)


def _objective(result: ScenarioResult, what: str) -> list:
    return [o for o in result.objectives if o.what == what]


CRASH = """\
    send: {{from: A/us-east-1, queue: b-eu, count: 4}}
    expect:
      - {{queue: b-eu, within: 60s{extra}}}
    faults:
      - {{kind: consumer_crash, queue: b-eu, count: 2}}
    lost: 0
    redelivered: {{queue: b-eu, min: 2}}
    """


def test_consumer_crash_is_redelivered_and_nothing_is_lost(applied: Manifest, tmp_path: Path) -> None:
    """Two messages are processed and never deleted: SQS hands them out again after the queue's
    30 s visibility timeout; every message arrives intact, the redeliveries are counted."""
    result = run_scenario(applied, _scenario(tmp_path, "crash", CRASH.format(extra="")))
    assert result.status == PASSED, (result.failures, [o.text for o in result.objectives])
    [path] = [p for p in result.paths if p.key.queue == "b-eu"]
    assert path.counts["intact"] == 4 and path.counts["lost"] == 0 and path.counts["duplicate"] == 2, path.counts
    [redelivered] = _objective(result, "redelivered")
    assert redelivered.measured_value == 2 and redelivered.met
    [lost] = _objective(result, "lost")
    assert lost.measured_value == 0 and lost.met
    faults = result.sections["faults"]
    [crash] = faults["injected"]
    assert crash["kind"] == "consumer_crash" and crash["fired"] == 2 and crash["events"] == {"crashed": 2}
    assert sum(1 for events in faults["messages"].values() if events.get("crashed")) == 2


def test_consumer_crash_with_duplicates_forbidden_fails_naming_them(applied: Manifest, tmp_path: Path) -> None:
    result = run_scenario(applied, _scenario(tmp_path, "crash-no-dups", CRASH.format(extra=", duplicates: forbidden")))
    assert result.status == FAILED
    [line] = [f for f in result.failures if "duplicate deliveries" in f]
    assert line.startswith("b-eu: 2 duplicate deliveries, but duplicates are forbidden here: seq [") and "delivered more than once" in line
    assert not [f for f in result.failures if "never arrived" in f], result.failures  # nothing lost, only duplicated


THROTTLED = """\
    send: {{from: A/us-east-1, topic: orders, count: 40, rate: 20, throughput: {{min: 50%}}, lag: {{max: 5s}}, attributes: {{kind: refund}}}}
    expect:
      - {{queue: b-eu, within: 30s}}
    faults:
      - {{kind: api_throttle, operations: [Publish, PublishBatch], probability: 0.2, seed: 23, retries: {retries}}}
    lost: 0
    """


def test_throttled_publishes_lose_nothing_and_the_retries_are_counted(applied: Manifest, tmp_path: Path) -> None:
    """Paced: one call per message, each with a 0.2 chance (seeded) of a Throttling answer, retried by
    the kit's policy (8 attempts) as a real one: nothing lost, every retry counted in the report. The
    retries' backoff delays the sends, so the scenario states the send conditions the fault leaves
    (half the rate, 5 s behind schedule at most; the defaults made it inconclusive in CI)."""
    result = run_scenario(applied, _scenario(tmp_path, "throttled", THROTTLED.format(retries="kit")))
    faults = result.sections["faults"]
    [throttle] = faults["injected"]
    retries = [faults["retries"][op] for op in ("sns.Publish", "sns.PublishBatch") if op in faults["retries"]]
    assert throttle["fired"] >= 3 and faults["not_published"] == 0, faults
    assert sum(r["retry"] for r in retries) == throttle["fired"] == sum(r["code Throttling"] for r in retries)
    assert not any("gave up" in r for r in retries)
    assert result.status == PASSED, result.failures
    [lost] = _objective(result, "lost")
    assert lost.measured_value == 0 and result.sent == 40
    [rate] = _objective(result, "send rate")
    assert rate.met and rate.kind == "condition", rate.text


def test_with_retries_off_the_throttled_publishes_are_reported_lost(applied: Manifest, tmp_path: Path) -> None:
    result = run_scenario(applied, _scenario(tmp_path, "throttled-no-retry", THROTTLED.format(retries="off")))
    faults = result.sections["faults"]
    assert faults["not_published"] >= 3, faults
    assert result.status == FAILED and result.sent == 40 - faults["not_published"]
    [lost] = _objective(result, "lost")
    assert lost.measured_value == faults["not_published"] and not lost.met
    assert any("never published" in f for f in result.failures) and any(f.startswith("lost b-eu:") for f in result.failures)
    assert all(c.get("retry", 0) == 0 for c in faults["retries"].values())
    assert sum(c.get("gave up", 0) for c in faults["retries"].values()) == faults["injected"][0]["fired"]


def test_a_publish_that_fails_after_its_upload_leaves_an_orphan_that_is_named(applied: Manifest) -> None:
    """The suite's negative scenario (scenarios/negative/, outside make e2e's reference set)."""
    result = run_scenario(applied, load_scenario(paths.REFERENCE_TOPOLOGY.parent / "negative" / "publish-crash-orphan.scenario.yaml"))
    assert result.status == FAILED
    bucket = applied.buckets["payloads"].name
    [line] = [f for f in result.failures if f.startswith("orphaned_payloads:")]
    assert f"1 object(s) no sent message points to (at most 0): s3://{bucket}/" in line
    [orphan] = result.sections["payloads"]["orphaned"]
    assert orphan in line and result.sections["payloads"]["objects"] == 3 and result.sections["payloads"]["pointed"] == 2
    assert result.sent == 2 and result.sections["faults"]["not_published"] == 1


def test_implied_payload_accounting_is_met_where_nothing_went_wrong(applied: Manifest, tmp_path: Path) -> None:
    result = run_scenario(applied, _scenario(tmp_path, "offload-clean", """\
        send: {from: A/us-east-1, topic: orders, count: 2, offload: always, attributes: {kind: refund}}
        expect:
          - {queue: b-eu, within: 20s}
        """))
    assert result.status == PASSED, result.failures
    [orphans] = _objective(result, "orphaned payloads")
    [dangling] = _objective(result, "dangling pointers")
    assert orphans.met and not orphans.stated and dangling.met and result.sections["payloads"]["objects"] == 2


def test_a_deleted_payload_is_a_dangling_pointer(applied: Manifest, tmp_path: Path) -> None:
    result = run_scenario(applied, _scenario(tmp_path, "dangling", """\
        send: {from: A/us-east-1, queue: b-eu, count: 2, offload: always}
        expect:
          - {queue: b-eu, within: 20s, intact: false}
        faults:
          - {kind: payload_deleted, queue: b-eu, count: 1}
        dangling_pointers: 0
        """))
    assert result.status == FAILED
    [line] = [f for f in result.failures if f.startswith("dangling_pointers:")]
    assert "1 delivered pointer(s) whose object was gone" in line and len(result.sections["payloads"]["dangling"]) == 1


def test_an_overwritten_payload_is_delivered_corrupted(applied: Manifest, tmp_path: Path) -> None:
    result = run_scenario(applied, _scenario(tmp_path, "overwritten", """\
        send: {from: A/us-east-1, queue: b-eu, count: 2, offload: always}
        expect:
          - {queue: b-eu, within: 20s}
        faults:
          - {kind: payload_overwritten, queue: b-eu, count: 1}
        """))
    assert result.status == FAILED
    [line] = result.failures
    assert line.startswith("b-eu: message ") and "is corrupted" in line, result.failures
    [path] = result.paths
    assert path.counts["corrupted"] == 1 and path.counts["intact"] == 1
    [fault] = result.sections["faults"]["injected"]
    assert fault["events"] == {"payload_overwritten": 1}


def _harness_run(applied: Manifest, scenario: Path, reports: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HARNESS_REPORTS_DIR": str(reports)}
    return subprocess.run([sys.executable, "-m", "harness.cli", "run", "--run-id", applied.run_id, str(scenario)],
                          capture_output=True, text=True, env=env, timeout=300)


def test_a_fault_the_emulator_cannot_show_is_not_observable_and_exits_3(applied: Manifest, tmp_path: Path, aws) -> None:
    """The queue policy denies SNS, but LocalStack delivers anyway: never 'passed'. The policy is
    back as it was after the scenario."""
    queue = applied.queues["b-eu"]
    sqs = aws("sqs", queue.account_id, queue.region)
    before = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    sc = _scenario(tmp_path, "policy-denies-sns", """\
        send: {from: A/us-east-1, topic: orders, count: 2, attributes: {kind: refund}}
        expect:
          - {queue: b-eu, within: 10s}
        faults:
          - {kind: queue_policy, queue: b-eu}
        """)
    proc = _harness_run(applied, Path(sc.source), tmp_path / "reports")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    data = json.loads(next((tmp_path / "reports").iterdir()).joinpath("report.json").read_text())
    [scenario] = data["scenarios"]
    assert scenario["status"] == INCONCLUSIVE and scenario["failures"] == []
    [effect] = [o for o in scenario["objectives"] if o["what"] == "fault effect"]
    assert effect["result"] == "not_observable" and effect["reason"] == "LocalStack does not enforce queue policies: SNS delivers anyway"
    assert "LocalStack does not enforce queue policies" in proc.stdout
    [fault] = scenario["faults"]["injected"]
    assert fault["observable"] is False and fault["events"] == {"applied": 1, "undone": 1}
    assert sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["Policy"])["Attributes"]["Policy"] == before
    report = RunReport(applied.run_id, "localstack", None, "reference")
    report.scenarios.append(ScenarioResult("x", "x", status=INCONCLUSIVE))
    assert exit_status(report) == 3


def test_the_payload_bucket_expires_its_objects_and_access_says_so(applied: Manifest, aws) -> None:
    """expire_after_days: 7 on the reference bucket: the rule is put after the apply (no Terraform
    form works on provider 3.39 .. 6.x), and `harness access` reads it back."""
    bucket = applied.buckets["payloads"]
    [rule] = aws("s3", bucket.account_id, bucket.region).get_bucket_lifecycle_configuration(Bucket=bucket.name)["Rules"]
    assert rule["ID"] == "harness-payload-expiry" and rule["Expiration"]["Days"] == 7 and rule["Status"] == "Enabled"
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "access", "--run-id", applied.run_id],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "bucket payloads: payload objects expire 7 day(s) after upload (read back)" in proc.stdout


def test_a_stopped_consumer_backs_up_then_drains_and_the_recovery_is_timed_and_drawn(applied: Manifest, tmp_path: Path) -> None:
    """b-eu's consumer stops for 3 s while 4 msg/s arrive: latency climbs, then falls back within
    1 s after the stop; report.json times the recovery and report.html shades the stop on the chart."""
    sc = _scenario(tmp_path, "stop-and-drain", """\
        send: {from: A/us-east-1, queue: b-eu, count: 24, rate: 4}
        expect:
          - {queue: b-eu, within: 20s}
        faults:
          - {kind: consumer_stop, queue: b-eu, for: 3s}
        recovery: {queue: b-eu, latency: 1s, within: 5s, during: 5s}
        lost: 0
        """)
    proc = _harness_run(applied, Path(sc.source), tmp_path / "reports")
    report_dir = next((tmp_path / "reports").iterdir())
    [scenario] = json.loads((report_dir / "report.json").read_text())["scenarios"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rec = scenario["recovery"]
    [window] = scenario["faults"]["windows"]
    assert window["kind"] == "consumer_stop" and 2.5 <= window["to"] - window["from"] <= 3.5
    assert rec["fault_ended"] == window["to"] and rec["recovered_at"] >= rec["fault_ended"] and rec["recovery_s"] <= 5
    [during] = [o for o in scenario["objectives"] if o["what"] == "latency max during the fault"]
    assert during["measured_value"] > 1.0  # the backlog: sent during the stop, delivered after it
    html_text = (report_dir / "report.html").read_text()
    assert "fault: consumer_stop" in html_text and ">recovered<" in html_text and "<h3>Faults</h3>" in html_text
    assert "recovery b-eu: latency within" in (report_dir / "report.md").read_text()
