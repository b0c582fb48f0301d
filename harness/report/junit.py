"""``junit.xml``: one testcase per scenario, for CI.

Statuses map onto junit as CI tools read them: ``failed`` → ``<failure>``, ``error`` →
``<error>``, ``inconclusive`` → ``<skipped message="inconclusive: …">`` (not a pass and not a
delivery failure: the run did not produce the conditions the scenario asked for, or an objective
is not observable on this target; the harness still exits non-zero unless told to accept it).
Each testcase carries its scenario ``file``, its objectives as ``<properties>`` (one per
objective: ``✓ measured (bound …)``) and its per-path figures and notes in ``system-out``.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from harness.report.plots import carried
from harness.report.summary import objective_line, send_lines
from harness.scenario.judge.result import ERROR, FAILED, INCONCLUSIVE


def junit_xml(data: dict[str, Any]) -> str:
    t = data["totals"]
    suite = ET.Element(
        "testsuite",
        name=f"harness-{data['topology']}",
        tests=str(t["scenarios"]),
        failures=str(t["failed"]),
        errors=str(t["errors"]),
        skipped=str(t.get("inconclusive", 0)),
        time=f"{data['duration_s']:.3f}",
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (("run_id", data["run_id"]), ("target", data["target"]), *(data.get("meta") or {}).items()):
        if value:
            ET.SubElement(props, "property", name=str(name), value=str(value))
    for sc in data["scenarios"]:
        case = ET.SubElement(suite, "testcase", classname=f"scenarios.{data['topology']}", name=sc["name"], file=sc["file"],
                             time=f"{sc['duration_s']:.3f}")
        objectives = sc.get("objectives") or []
        if objectives:
            cprops = ET.SubElement(case, "properties")
            for o in objectives:
                mark = objective_line(o)[0]
                ET.SubElement(cprops, "property", name=f"{o['what']} [{o['where']}]", value=f"{mark} {o['measured']} (bound {o['bound']})")
        missed = [objective_line(o) for o in objectives if o["result"] != "met"]
        if sc["status"] in (FAILED, ERROR):
            tag = "failure" if sc["status"] == FAILED else "error"
            lines = sc["failures"] + missed
            el = ET.SubElement(case, tag, message=(lines or ["failed"])[0][:500])
            el.text = "\n".join(lines)
        elif sc["status"] == INCONCLUSIVE:
            el = ET.SubElement(case, "skipped", message=("inconclusive: " + "; ".join(missed))[:500])
            el.text = "\n".join(missed)
        lines = send_lines(sc) + [
            f"{p['label']}: {json.dumps(p['counts'])} latency_ms={json.dumps(p['latency_ms'])} carried: {carried(p)}" for p in sc["paths"]
        ]
        ET.SubElement(case, "system-out").text = "\n".join(lines + sc["notes"])
    suites = ET.Element("testsuites")
    suites.append(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
