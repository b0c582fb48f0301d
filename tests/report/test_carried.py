"""Issue 10 item 8: every report says, per delivery path, how many messages went inline and how many
through S3, and into which bucket — from what the runner recorded per message on a real run."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from tests.report.conftest import FinishedRun

pytestmark = pytest.mark.localstack


def _path(data: dict, scenario: str, queue: str) -> dict:
    [sc] = [s for s in data["scenarios"] if s["name"] == scenario]
    [p] = [p for p in sc["paths"] if p["to"]["queue"] == queue]
    return p


def test_report_json_counts_inline_and_s3_per_path_with_the_bucket(finished_run: FinishedRun, aws) -> None:
    bucket = finished_run.manifest.buckets["payloads"]
    for queue in ("b-eu", "b-ap"):
        p = _path(finished_run.data, "mixed-carriers", queue)
        assert p["counts"]["intact"] == 3, [s["failures"] for s in finished_run.data["scenarios"] if s["name"] == "mixed-carriers"]
        # 1 KiB and 2 KiB fit in an SNS message; 300 KiB is over SNS's 256 KiB and went through S3.
        assert p["carried"] == {"inline": 2, "s3": 1, "buckets": {bucket.name: 1}}, p["carried"]
    # the offloaded payload really is in that bucket (nothing deletes it without payload_deleted_after_ack)
    s3 = aws("s3", bucket.account_id, bucket.region)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket.name).get("Contents", [])]
    assert keys, f"no payload object in {bucket.name}"
    missed = _path(finished_run.data, "missed-filter", "c-us")
    assert missed["carried"] == {"inline": 2, "s3": 0, "buckets": {}}


def test_markdown_html_and_junit_show_the_carriers(finished_run: FinishedRun) -> None:
    bucket = finished_run.manifest.buckets["payloads"].name
    wanted = f"2 inline, 1 through S3 (s3://{bucket} 1)"
    md = finished_run.files["markdown"].read_text()
    rows = [line for line in md.splitlines() if line.startswith("| mixed-carriers | passed | A/us-east-1")]
    [header] = [line for line in md.splitlines() if line.startswith("| scenario | status | path |")]
    column = [c.strip() for c in header.split("|")].index("carried")
    assert len(rows) == 2 and all([c.strip() for c in row.split("|")][column] == wanted for row in rows), rows
    assert md.count("| 2 inline |") == 1  # the missed-filter path: inline only
    html = finished_run.files["html"].read_text()
    assert html.count(f"carried: {wanted}") == 2
    suite = ET.parse(finished_run.files["junit"]).getroot()
    [case] = [c for c in suite.iter("testcase") if c.get("name") == "mixed-carriers"]
    out = case.find("system-out").text
    assert out.count(f"carried: {wanted}") == 2, out
