"""``junit.xml``: one testcase per scenario, for CI."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from harness.report.plots import carried
from harness.scenario.judge.result import ERROR, FAILED


def junit_xml(data: dict) -> str:
    suite = ET.Element(
        "testsuite",
        name=f"harness-{data['topology']}",
        tests=str(data["totals"]["scenarios"]),
        failures=str(data["totals"]["failed"]),
        errors=str(data["totals"]["errors"]),
        time=f"{data['duration_s']:.3f}",
    )
    for sc in data["scenarios"]:
        case = ET.SubElement(suite, "testcase", classname=f"scenarios.{data['topology']}", name=sc["name"], time=f"{sc['duration_s']:.3f}")
        if sc["status"] in (FAILED, ERROR):
            tag = "failure" if sc["status"] == FAILED else "error"
            el = ET.SubElement(case, tag, message=(sc["failures"] or ["failed"])[0][:500])
            el.text = "\n".join(sc["failures"])
        lines = [
            f"{p['label']}: {json.dumps(p['counts'])} latency_ms={json.dumps(p['latency_ms'])} carried: {carried(p)}" for p in sc["paths"]
        ]
        ET.SubElement(case, "system-out").text = "\n".join(lines + sc["notes"])
    suites = ET.Element("testsuites")
    suites.append(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
