"""The ``harness`` command line's arguments: one sub-parser per command, with its options and their
defaults (each option's help names its default). What each command does, the environment it
honours and its examples are in :mod:`harness.cli.help`; a new command adds its texts there and
its options here, in a function of its own."""

from __future__ import annotations

import argparse

from harness import paths
from harness.cli.help import MAIN, command_parser

TARGETS = ["localstack", "aws"]
OUTPUTS = ["text", "json", "github"]


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port; use a number from 1 to 65535")
    return port


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="harness", description=MAIN.description, epilog=MAIN.epilog(),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging (default: info)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_emulator, _validate, _up, _down, _sweep, _runs, _run, _e2e, _capacity, _change, _accept, _cost, _compare, _access, _load):
        add(sub)
    return p


def _emulator(sub: argparse._SubParsersAction) -> None:
    e = command_parser(sub, "emulator")
    e.add_argument("action", choices=["start", "stop", "status"], help="what to do")
    e.add_argument("--mode", choices=["host", "docker", "external"], default="host",
                   help="host: LocalStack from .venv-localstack, no Docker; docker: docker compose; external: one you run (default: host)")
    e.add_argument("--port", type=_port, default=None, help="port to start on (default: 4566, or a free one when taken)")
    e.add_argument("--endpoint-url", default=None, help="external mode: the LocalStack URL (default: none; required there)")


def _output(cmd: argparse.ArgumentParser, what: str) -> None:
    cmd.add_argument("--output", choices=OUTPUTS, default="text",
                     help=f"text: {what}; json: one JSON document on stdout; github: the text, with input problems as "
                          "GitHub Actions ::error/::warning annotations at file:line (default: text)")


def _run_output(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--output", choices=OUTPUTS, default="text",
                     help="text: progress and the verdict first; json: progress on stderr, report.json's document on stdout; github: "
                          "the text, then an ::error annotation at the scenario file's line per missed objective and failure, "
                          "::warning per inconclusive one (default: text)")


def _report_dir(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--report-dir", default=None, metavar="DIR",
                     help="write reports under DIR/<run-id>/ (default: $HARNESS_REPORTS_DIR, else reports/)")


def _validate(sub: argparse._SubParsersAction) -> None:
    v = command_parser(sub, "validate")
    v.add_argument("--topology", default=None, help="a topology file to validate (default: none, only the scenario files)")
    v.add_argument("files", nargs="*", help="scenario files, each validated against the topology it names (default: none)")
    _output(v, "ok lines on stdout, problems as file:line: field: message lines on stderr")


def _target_options(cmd: argparse.ArgumentParser, endpoint_help: str) -> None:
    cmd.add_argument("--target", choices=TARGETS, default="localstack", help="where the resources are (default: localstack)")
    cmd.add_argument("--endpoint-url", default=None, help=endpoint_help)


def _up(sub: argparse._SubParsersAction) -> None:
    u = command_parser(sub, "up")
    u.add_argument("--topology", required=True, help="the topology file to apply (required, no default)")
    _target_options(u, "LocalStack URL (default: $HARNESS_ENDPOINT_URL, else the recorded emulator); "
                       "with --target aws, rehearse the AWS code path on it")
    u.add_argument("--run-id", default=None, help="1-16 lowercase letters and digits (default: a new random one)")


def _down(sub: argparse._SubParsersAction) -> None:
    d = command_parser(sub, "down")
    d.add_argument("--run-id", default=None, help="the run to destroy (default: the latest one still applied)")


def _sweep(sub: argparse._SubParsersAction) -> None:
    w = command_parser(sub, "sweep")
    w.add_argument("--topology", required=True, help="the accounts and regions to sweep, and how to reach them (required, no default)")
    w.add_argument("--older-than", default=None, help="only leftovers older than this, e.g. 6h, 90m, 2d (default: any age)")
    w.add_argument("--dry-run", action="store_true", help="list what would be deleted; delete nothing (default: off)")
    _target_options(w, "LocalStack URL (default: $HARNESS_ENDPOINT_URL, else the recorded emulator); with --target aws, rehearse on it")


def _runs(sub: argparse._SubParsersAction) -> None:
    _output(command_parser(sub, "runs"), "a line per run")


def _max_cost(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--max-cost-usd", type=float, default=None,
                     help="AWS: refuse scenarios whose estimated cost is above this many USD (default: 5); the emulator has no limit")


def _accept_inconclusive(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--accept-inconclusive", action="store_true",
                     help="exit 0 when no scenario failed even if some are inconclusive (the rate asked for was not reached, or an "
                     "objective is not observable here); they stay inconclusive in every report (default: off, they exit 3)")


def _run(sub: argparse._SubParsersAction) -> None:
    r = command_parser(sub, "run")
    r.add_argument("files", nargs="+", help="scenario files (at least one; no default)")
    r.add_argument("--run-id", default=None, help="the applied run to use (default: the latest run still applied)")
    _max_cost(r)
    _accept_inconclusive(r)
    _run_output(r)
    _report_dir(r)


def _e2e(sub: argparse._SubParsersAction) -> None:
    x = command_parser(sub, "e2e")
    x.add_argument("--topology", default=str(paths.REFERENCE_TOPOLOGY), help="the topology file (default: scenarios/reference.topology.yaml)")
    x.add_argument("--scenarios", default=str(paths.SCENARIOS_DIR), help="directory of *.scenario.yaml; those naming the topology run (default: scenarios/)")
    x.add_argument("--target", choices=TARGETS, default="localstack", help="where to apply (default: localstack)")
    x.add_argument("--endpoint-url", default=None, help="an endpoint to use instead of starting LocalStack, or with --target aws an AWS "
                   "endpoint override for a rehearsal (default: $HARNESS_ENDPOINT_URL, else the recorded emulator, else one started)")
    _max_cost(x)
    _accept_inconclusive(x)
    _run_output(x)
    _report_dir(x)


def _capacity(sub: argparse._SubParsersAction) -> None:
    c = command_parser(sub, "capacity")
    c.add_argument("file", help="a scenario file with one send (no default)")
    c.add_argument("--run-id", default=None, help="an applied run of the scenario's topology, left applied (default: apply one for the "
                   "search, destroyed after, on an emulator started unless one is given or recorded)")
    c.add_argument("--start", type=float, default=None, help="msg/s of the first step (default: the send's rate, else 50)")
    c.add_argument("--factor", type=float, default=2.0, help="each step's rate over the one before, more than 1 (default: 2)")
    c.add_argument("--max", type=float, default=None, dest="maximum", help="no step above this many msg/s (default: 5000, or --start when higher)")
    c.add_argument("--step-seconds", type=float, default=10.0, help="how long each step sends (default: 10)")
    c.add_argument("--refine", type=int, default=2, help="steps bisecting the gap between the last pass and the first miss (default: 2)")
    c.add_argument("--target", choices=TARGETS, default="localstack", help="where to apply, without --run-id (default: localstack)")
    c.add_argument("--endpoint-url", default=None, help="an endpoint to use instead of starting LocalStack (default: $HARNESS_ENDPOINT_URL, "
                   "else the recorded emulator, else one started)")
    _max_cost(c)
    _report_dir(c)


def _change_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--scenarios", default=None, help="where NEW's scenarios are (default: NEW's directory)")
    cmd.add_argument("--allow", action="append", default=[], metavar="TOKEN",
                     help="acknowledge a hazard, e.g. replace:b-eu; repeatable (default: none acknowledged)")
    cmd.add_argument("--probe-rate", type=float, default=10.0, help="probe messages per second per surviving path (default: 10)")
    cmd.add_argument("--probe-settle", type=float, default=2.0, help="seconds of probe traffic after the apply (default: 2)")
    _report_dir(cmd)


def _change(sub: argparse._SubParsersAction) -> None:
    ch = command_parser(sub, "change")
    ch.add_argument("--to", required=True, metavar="NEW.topology.yaml", help="the topology to change the run to (required, no default)")
    ch.add_argument("--run-id", default=None, help="the applied run to change (default: the latest run still applied)")
    ch.add_argument("--plan-only", action="store_true", help="print the summary and hazards; apply nothing (default: off)")
    _change_options(ch)


def _accept(sub: argparse._SubParsersAction) -> None:
    ac = command_parser(sub, "accept")
    ac.add_argument("base", metavar="BASE.topology.yaml", help="the topology applied first (required)")
    ac.add_argument("new", metavar="NEW.topology.yaml", help="the topology it is changed to (required)")
    ac.add_argument("--endpoint-url", default=None,
                    help="an endpoint to use instead of starting LocalStack (default: $HARNESS_ENDPOINT_URL, else one started)")
    _change_options(ac)


def _cost(sub: argparse._SubParsersAction) -> None:
    c = command_parser(sub, "cost")
    c.add_argument("files", nargs="+", help="scenario files (at least one; no default)")
    c.add_argument("--topology", default=None, help="the topology the AWS run will use (default: the one each file names)")
    c.add_argument("--itemised", action="store_true", help="add each scenario's line items (default: off)")
    c.add_argument("--max-cost-usd", type=float, default=5.0, help="exit 1 when the total is above this many USD (default: 5)")
    _output(c, "the table and the total")


def _compare(sub: argparse._SubParsersAction) -> None:
    k = command_parser(sub, "compare")
    k.add_argument("old", help="the earlier report.json (the baseline; required)")
    k.add_argument("new", help="the later report.json (the run judged; required)")
    k.add_argument("--ratio", type=float, default=1.5, help="p50/p99 must grow by more than this factor (default: 1.5)")
    k.add_argument("--min-ms", type=float, default=20.0, help="… and by more than this many ms (default: 20)")
    k.add_argument("--fail-on-regression", action="store_true", help="exit 1 when something got worse (default: off, exit 0)")
    _output(k, "the Markdown section; github adds an annotation per new failure and latency regression")


def _access(sub: argparse._SubParsersAction) -> None:
    a = command_parser(sub, "access")
    a.add_argument("--run-id", default=None, help="an applied run, its policies read back (default: the latest applied run)")
    a.add_argument("--topology", default=None, help="instead: a topology file, under the policies its modules would write (default: none)")
    a.add_argument("--outsider", action="append",
                   help="also show this 12-digit account id from outside the topology; repeatable (default: none)")
    a.add_argument("--json", default=None, metavar="FILE",
                   help="also write the matrix, with each cell's deciding statement, to FILE; - writes only that JSON to stdout (default: none)")
    _output(a, "the matrix table")


def _load(sub: argparse._SubParsersAction) -> None:
    """``harness load``'s options (harness/load; cmd_load hands them to harness.load_agent, which
    parses them with this parser again)."""
    lo = command_parser(sub, "load")
    lo.add_argument("files", nargs="+", help="scenario files, each a stream at its rate split over the workers (at least one; no default)")
    lo.add_argument("--run-id", required=True, help="the applied run (its manifest) to load (required, no default)")
    lo.add_argument("--duration", type=float, default=None, help="budget: seconds of each scenario's schedule (default: none; this or --messages)")
    lo.add_argument("--messages", type=int, default=None, help="budget: messages per scenario (default: none; this or --duration)")
    lo.add_argument("--workers", type=int, default=2, help="local worker processes (default: 2)")
    lo.add_argument("--expect-workers", type=int, default=None, help="workers to wait for in all, others started elsewhere (default: --workers)")
    lo.add_argument("--rate", type=float, default=None, help="msg/s per scenario instead of the files' rate (default: each file's rate)")
    lo.add_argument("--locust-ui", action="store_true", help="serve Locust's web UI while the run lasts (default: off)")
    lo.add_argument("--ui-port", type=_port, default=None, help="port of Locust's web UI (default: 8089)")
    lo.add_argument("--csv", default=None, metavar="PREFIX", help="also write Locust's CSV statistics to PREFIX_*.csv (default: none)")
    _max_cost(lo)
    lo.add_argument("--worker", action="store_true", help="be a worker of a master started elsewhere (default: off, be the master)")
    lo.add_argument("--master-host", default=None, help="master: listen here; worker: connect here (default: 127.0.0.1)")
    lo.add_argument("--master-port", type=_port, default=None, help="master: listen here; worker: connect here (default: a free port)")
