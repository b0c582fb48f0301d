"""The access parts of report.md and report.html: per scenario, each hop's verdict and the
statement that decided it, each ``expect_denied`` entry's outcome, and the run's access matrix
(who may publish, subscribe, send, receive, put, read and delete what). Input: report.json's dict.
"""

from __future__ import annotations

import html

MARK = {"allowed": "yes", "implicit_deny": "-", "explicit_deny": "DENY"}


def _statement(item: dict) -> str:
    st = item.get("statement")
    if not st:
        return ""
    return f"{st['policy']} {st['sid'] or 'Statement[' + str(st['index']) + ']'}"


def _decided(item: dict) -> str:
    """The deciding statement when one decided; the reason otherwise (an implicit deny has none)."""
    return _statement(item) or item.get("reason", "")


def hop_rows(data: dict) -> list[tuple[str, str, str, str, str, str]]:
    """(scenario, hop, subject, action, verdict, deciding statement or reason) for every hop."""
    rows = []
    for sc in data["scenarios"]:
        for h in sc.get("access", []):
            rows.append((sc["name"], h["hop"], h["subject"], f"{h['principal']} {h['action']}", h["verdict"], _decided(h)))
    return rows


def denial_rows(data: dict) -> list[tuple[str, str, str, str, str]]:
    """(scenario, entry, status, judged by, line) for every ``expect_denied`` entry."""
    rows = []
    for sc in data["scenarios"]:
        for d in sc.get("expect_denied", []):
            target = " ".join(f"{k} {d[k]}" for k in ("topic", "queue", "bucket", "function") if d.get(k))
            entry = f"{d['from'] or 'SNS'} {d['action']} {target}" + (" via http" if d.get("via") == "http" else "")
            rows.append((sc["name"], entry, d["status"], d["judged_by"], d["line"]))
    return rows


def matrix_rows(access: dict) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the run's access matrix: resource, capability, one mark per account."""
    accounts = list(access.get("accounts", []))
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for c in access.get("cells", []):
        seen.setdefault((f"{c['kind']} {c['resource']}", c["capability"]), {})[c["account"]] = MARK.get(c["verdict"], "?")
    rows = [[res, cap, *(marks.get(a, "?") for a in accounts)] for (res, cap), marks in seen.items()]
    return ["resource", "may", *accounts], rows


def _md_table(header: list[str], rows: list[list[str]] | list[tuple]) -> list[str]:
    def cell(v: object) -> str:
        return str(v).replace("|", "\\|")

    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]


def access_markdown(data: dict) -> list[str]:
    lines: list[str] = []
    hops = hop_rows(data)
    if hops:
        lines += ["", "## Access verdicts per hop (policies read back before sending)", ""]
        lines += _md_table(["scenario", "hop", "subject", "request", "verdict", "deciding statement / reason"], hops)
    denials = denial_rows(data)
    if denials:
        lines += ["", "## expect_denied", ""]
        lines += _md_table(["scenario", "access", "status", "judged by", "detail"], denials)
    access = data.get("access")
    if access:
        lines += ["", "## Access matrix of the run", ""]
        if "error" in access:
            lines.append(f"not available: {access['error']}")
        else:
            header, rows = matrix_rows(access)
            lines += _md_table(header, rows)
            allowed = [f"{d['topic']} → {d['queue'] if d.get('queue') else 'function ' + d['function']}" for d in access.get("deliveries", [])
               if d["verdict"] == "allowed"]
            lines += ["", "SNS may deliver: " + (", ".join(allowed) or "nothing")]
    return lines


def _html_table(header: list[str], rows: list[list[str]] | list[tuple]) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td style="text-align:left">{esc(str(v))}</td>' for v in r) + "</tr>" for r in rows)
    return f'<div style="overflow-x:auto"><table><tr>{head}</tr>{body}</table></div>'


def scenario_access_html(sc: dict) -> str:
    """The hop verdicts and expect_denied outcomes of one scenario (empty when it has neither)."""
    parts = []
    hops = [(h["hop"], h["subject"], f"{h['principal']} {h['action']}", h["verdict"], _decided(h)) for h in sc.get("access", [])]
    if hops:
        parts.append("<h3>access (policies read back before sending)</h3>")
        parts.append(_html_table(["hop", "subject", "request", "verdict", "deciding statement / reason"], hops))
    denials = [r[1:] for r in denial_rows({"scenarios": [sc]})]
    if denials:
        parts.append("<h3>expect_denied</h3>")
        parts.append(_html_table(["access", "status", "judged by", "detail"], denials))
    return "".join(parts)


def matrix_html(data: dict) -> str:
    access = data.get("access")
    if not access:
        return ""
    if "error" in access:
        return f"<h2>Access matrix</h2><p>not available: {html.escape(access['error'])}</p>"
    header, rows = matrix_rows(access)
    allowed = [f"{d['topic']} → {d['queue'] if d.get('queue') else 'function ' + d['function']}" for d in access.get("deliveries", [])
               if d["verdict"] == "allowed"]
    return (
        "<h2>Access matrix</h2>" + _html_table(header, rows) + f"<p>SNS may deliver: {html.escape(', '.join(allowed) or 'nothing')}</p>"
    )
