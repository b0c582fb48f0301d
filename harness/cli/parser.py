"""The ``harness`` command line's arguments: one sub-parser per command, with its options and defaults."""

from __future__ import annotations

import argparse

from harness import paths


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port; use a number from 1 to 65535")
    return port


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="harness", description="Cross-account, cross-region AWS messaging verification kit")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("emulator", help="start, stop or inspect the LocalStack emulator")
    e.add_argument("action", choices=["start", "stop", "status"])
    e.add_argument("--mode", choices=["host", "docker", "external"], default="host")
    e.add_argument("--port", type=_port, default=None, help="port (default 4566, or a free one when taken)")
    e.add_argument("--endpoint-url", default=None, help="external mode: the LocalStack URL")

    v = sub.add_parser("validate", help="validate a topology file and/or scenario files (no run needed)")
    v.add_argument("--topology", default=None)
    v.add_argument("files", nargs="*", help="scenario files, each validated against the topology it names")

    u = sub.add_parser("up", help="apply a topology and write a run manifest")
    u.add_argument("--topology", required=True)
    u.add_argument("--target", choices=["localstack", "aws"], default="localstack")
    u.add_argument(
        "--endpoint-url",
        default=None,
        help="LocalStack URL (default: the running emulator); with --target aws, rehearse the AWS path on it",
    )
    u.add_argument("--run-id", default=None, help="reuse a specific run id (default: a new random one)")

    d = sub.add_parser("down", help="destroy a run (default: the latest one still applied)")
    d.add_argument("--run-id", default=None)

    w = sub.add_parser("sweep", help="delete the kit's leftovers (hx- names) that no live run owns, in every account x region")
    w.add_argument("--topology", required=True, help="the accounts and regions to sweep (and how to reach them)")
    w.add_argument("--older-than", default=None, help="only leftovers older than this (e.g. 6h, 90m, 2d)")
    w.add_argument("--dry-run", action="store_true", help="list what would be deleted; delete nothing")
    w.add_argument("--target", choices=["localstack", "aws"], default="localstack")
    w.add_argument("--endpoint-url", default=None, help="LocalStack URL; with --target aws, rehearse on it")

    sub.add_parser("runs", help="list runs and their status")

    r = sub.add_parser("run", help="run scenario files against an applied run")
    r.add_argument("files", nargs="+")
    r.add_argument("--run-id", default=None, help="default: the latest run still applied")
    r.add_argument("--max-cost-usd", type=float, default=None, help="AWS runs: refuse above this estimate (default 5)")

    x = sub.add_parser("e2e", help="emulator + apply + every scenario + reports + destroy + stop")
    x.add_argument("--topology", default=str(paths.REFERENCE_TOPOLOGY))
    x.add_argument("--scenarios", default=str(paths.SCENARIOS_DIR))
    x.add_argument("--target", choices=["localstack", "aws"], default="localstack")
    x.add_argument("--endpoint-url", default=None, help="an endpoint to use instead of starting LocalStack (or, with --target aws, an AWS endpoint override for a rehearsal)")
    x.add_argument("--max-cost-usd", type=float, default=None, help="AWS: refuse scenarios whose estimated cost is above this (default 5)")

    def change_options(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument("--scenarios", default=None, help="where NEW's scenarios are (default: NEW's directory)")
        cmd.add_argument("--allow", action="append", default=[], metavar="TOKEN", help="acknowledge a hazard, e.g. replace:b-eu (repeatable)")
        cmd.add_argument("--probe-rate", type=float, default=10.0, help="probe messages per second per surviving path (default 10)")
        cmd.add_argument("--probe-settle", type=float, default=2.0, help="seconds of probe traffic after the apply (default 2)")

    ch = sub.add_parser("change", help="change an applied run to a new topology under probe traffic; judge it")
    ch.add_argument("--to", required=True, metavar="NEW.topology.yaml")
    ch.add_argument("--run-id", default=None, help="default: the latest run still applied")
    ch.add_argument("--plan-only", action="store_true", help="print the summary and hazards; apply nothing")
    change_options(ch)

    ac = sub.add_parser("accept", help="apply BASE, change it to NEW under probe traffic, run NEW's scenarios, destroy")
    ac.add_argument("base", metavar="BASE.topology.yaml")
    ac.add_argument("new", metavar="NEW.topology.yaml")
    ac.add_argument("--endpoint-url", default=None, help="an endpoint to use instead of starting LocalStack")
    change_options(ac)

    c = sub.add_parser("cost", help="estimate what scenarios would cost on real AWS")
    c.add_argument("files", nargs="+", help="scenario files")
    c.add_argument("--topology", default=None, help="the topology the AWS run will use (default: the one each file names)")
    c.add_argument("--itemised", action="store_true", help="add each scenario's line items")
    c.add_argument("--max-cost-usd", type=float, default=5.0, help="exit 1 when the total is above this (default 5)")

    k = sub.add_parser("compare", help="new failures and latency regressions between two report.json files")
    k.add_argument("old", help="the earlier report.json")
    k.add_argument("new", help="the later report.json")
    k.add_argument("--ratio", type=float, default=1.5, help="p50/p99 must grow by more than this factor (default 1.5)")
    k.add_argument("--min-ms", type=float, default=20.0, help="… and by more than this many ms (default 20)")
    k.add_argument("--fail-on-regression", action="store_true", help="exit 1 when something got worse")

    lo = sub.add_parser("load", help="run scenarios as a distributed Locust load (master + workers) with the kit's verdicts")
    lo.add_argument("files", nargs="+", help="scenario files (each a stream at its rate, split over the workers)")
    lo.add_argument("--run-id", required=True, help="the applied run (its manifest) to load")
    lo.add_argument("--duration", type=float, default=None, help="budget: seconds of each scenario's schedule")
    lo.add_argument("--messages", type=int, default=None, help="budget: messages per scenario")
    lo.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    lo.add_argument("--expect-workers", type=int, default=None, help="workers to wait for in all, others started elsewhere (default --workers)")
    lo.add_argument("--rate", type=float, default=None, help="msg/s per scenario instead of the files' rate")
    lo.add_argument("--locust-ui", action="store_true", help="serve Locust's web UI while the run lasts")
    lo.add_argument("--ui-port", type=_port, default=None, help="port of Locust's web UI (default 8089)")
    lo.add_argument("--csv", default=None, metavar="PREFIX", help="also write Locust's CSV statistics to PREFIX_*.csv")
    lo.add_argument("--max-cost-usd", type=float, default=None, help="AWS: refuse above this estimate (default 5)")
    lo.add_argument("--worker", action="store_true", help="be a worker of a master started elsewhere")
    lo.add_argument("--master-host", default=None, help="master: listen here (default 127.0.0.1); worker: connect here")
    lo.add_argument("--master-port", type=_port, default=None, help="master: listen here (default a free port); worker: connect here")

    a = sub.add_parser("access", help="who may publish, subscribe, send, receive, put, read and delete what")
    a.add_argument("--run-id", default=None, help="an applied run, its policies read back (default: the latest applied run)")
    a.add_argument("--topology", default=None, help="instead: a topology file, under the policies its modules would write")
    a.add_argument("--outsider", action="append", help="also show this 12-digit account id from outside the topology (repeatable)")
    a.add_argument("--json", default=None, help="also write the matrix, with each cell's deciding statement, to this file")
    return p
