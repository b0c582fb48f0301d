"""report.json has a published JSON Schema (docs/schema/report.schema.json): a report with every
status, objective, send section and path validates against it, and a report that drifts from it
does not. (Every report.json the test session writes is validated as well: tests/conftest.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from harness.payload.message import MessageTimestamps
from harness.payload.outcome import Outcome
from harness.report import write_reports
from harness.scenario.execute.send_pool import send_objectives, send_summary
from harness.scenario.expectations import Expect, Latency
from harness.scenario.format.model import RateBound, Send
from harness.scenario.judge.facts import Delivery, Sent
from harness.scenario.judge.measure import PathKey
from harness.scenario.judge.result import ERROR, RunReport, ScenarioResult
from harness.scenario.judge.verdicts import judge_expect

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "schema" / "report.schema.json").read_text())
KEY = PathKey("A", "us-east-1", "topic:orders", "B", "eu-west-1", "b-eu")
T0 = 1_700_000_000.0


def _paced(n: int, rate: float, late_by: float) -> list[Sent]:
    """``n`` messages meant ``1/rate`` apart, each sent ``late_by`` times its index late."""
    return [Sent(i, f"r.s.t.{i}", 1024, "0" * 64, None, T0 + i / rate + i * late_by, False, None, T0 + i / rate) for i in range(n)]


def report() -> RunReport:
    run = RunReport("abc123", "localstack", "http://127.0.0.1:4566", "reference", started_at=T0, finished_at=T0 + 30,
                    meta={"kit": "0.1.0", "commit": "1234567890ab", "topology_sha256": "f" * 64})
    msgs = _paced(40, 20.0, 0.01)
    ms = int(T0 * 1000)
    stamps = MessageTimestamps(published_at_ms=ms, sns_timestamp_ms=ms + 5, sent_timestamp_ms=ms + 25, first_receive_timestamp_ms=ms + 40,
                               received_at_ms=ms + 45)
    deliveries = [Delivery(s.correlation_id, s.t_send + 0.2, Outcome.INTACT, "", stamps) for s in msgs[:-1]]
    exp = Expect("b-eu", 10.0, latency=Latency(p99=150.0), hops={"sns_to_sqs": Latency(p99=100.0)}, throughput=RateBound(share=0.9))
    verdict = judge_expect(exp, KEY, msgs, deliveries, 20.0)
    send = Send("A", "us-east-1", topic="orders", count=40, rate=20.0, throughput=RateBound(share=0.95, stated=False), lag_max=1.0)
    summary = send_summary(msgs, 4, 20.0)
    failed = ScenarioResult("paced", "paced.scenario.yaml", description="forty paced messages", paths=[verdict.stats], failures=verdict.failures,
                            objectives=verdict.objectives + send_objectives(send, summary), send=summary.as_dict(), notes=["a note"])
    failed.settle()
    passed = ScenarioResult("quiet", "quiet.scenario.yaml", sent=3)
    errored = ScenarioResult("cut", "cut.scenario.yaml", status=ERROR, failures=["AWS call failed: boom"])
    run.scenarios += [failed, passed, errored]
    run.resources = {"queues": {"b-eu": {"account": "B", "region": "eu-west-1", "name": "hx-abc123-b-eu"}},
                     "subscriptions": {"orders->b-eu": {"topic": "orders", "queue": "b-eu", "raw_delivery": True, "created_by": "B"}}}
    run.access = {"error": "not read: the endpoint is unreachable"}
    return run


def _json(run: RunReport) -> dict:
    return json.loads(json.dumps(run.as_dict()))  # as written: tuples become lists


def test_a_report_with_every_part_validates(tmp_path: Path) -> None:
    data = _json(report())
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(data, SCHEMA)
    assert data["status"] == "error" and data["totals"]["objectives_missed"] >= 2
    [paced] = [sc for sc in data["scenarios"] if sc["name"] == "paced"]
    assert paced["status"] == "failed", "one of 40 never arrived"
    whats = {o["what"]: o for o in paced["objectives"]}
    assert whats["send lag"]["result"] == "met" and whats["send lag"]["kind"] == "condition"
    assert whats["hop sns_to_sqs p99"]["result"] == "met" and whats["throughput"]["bound"].startswith("≥ 18.0 msg/s (90% of 20 msg/s)")
    files = write_reports(report(), tmp_path)
    jsonschema.validate(json.loads(files["json"].read_text()), SCHEMA)


@pytest.mark.parametrize(
    ("damage", "where"),
    [
        (lambda d: d.update(status="green"), "status"),
        (lambda d: d["scenarios"][0]["objectives"][0].pop("result"), "result"),
        (lambda d: d["scenarios"][0].update(extra=1), "extra"),
        (lambda d: d["totals"].pop("inconclusive"), "inconclusive"),
    ],
)
def test_a_drifted_report_does_not_validate(damage, where: str) -> None:
    data = _json(report())
    damage(data)
    with pytest.raises(jsonschema.ValidationError, match=where):
        jsonschema.validate(data, SCHEMA)


def validate_reports_under(root: Path) -> list[str]:
    """Every report.json the harness wrote below ``root`` (beside its junit.xml and report.md; tests
    also write broken ones on purpose) checked against the schema: one line per invalid file."""
    bad = []
    for path in sorted(root.rglob("report.json")):
        if not (path.with_name("junit.xml").exists() and path.with_name("report.md").exists()):
            continue
        try:
            jsonschema.validate(json.loads(path.read_text()), SCHEMA)
        except (jsonschema.ValidationError, ValueError) as exc:
            bad.append(f"{path}: {str(exc).splitlines()[0]}")
    return bad


def test_a_path_to_a_function_validates_and_a_path_naming_both_ends_does_not(tmp_path: Path) -> None:
    from harness.scenario.judge.measure import FUNCTION
    from harness.scenario.judge.verdicts import PathRules, judge_path

    key = PathKey("A", "us-east-1", "topic:orders", "C", "us-east-1", "c-fn", FUNCTION)
    msgs = _paced(3, 10.0, 0.0)
    ms = int(T0 * 1000)
    stamps = MessageTimestamps(None, ms + 5, None, None, ms + 300)
    deliveries = [Delivery(s.correlation_id, s.t_send + 0.5, Outcome.INTACT, "", stamps, invoked_at=T0 + 0.3) for s in msgs]
    verdict = judge_path(PathRules(queue="function c-fn", late_after=10.0), key, msgs, deliveries)
    run = report()
    run.scenarios.append(ScenarioResult("fn", "fn.scenario.yaml", paths=[verdict.stats], objectives=verdict.objectives))
    data = _json(run)
    path = data["scenarios"][-1]["paths"][0]
    assert path["to"] == {"account": "C", "region": "us-east-1", "kind": "function", "function": "c-fn"}
    assert set(path["hops_ms"]) == {"publish_to_sns", "sns_to_invoke", "function_duration"}
    jsonschema.validate(data, SCHEMA)
    write_reports(run, tmp_path / "reports")  # report.md, report.html and junit.xml draw it too
    path["to"]["queue"] = "c-fn"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)
