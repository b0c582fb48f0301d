"""The ``harness`` command line.

    harness emulator start|stop|status [--mode host|docker|external] [--port N] [--endpoint-url URL]
    harness validate [--topology FILE] [SCENARIO_FILE...]
    harness up --topology FILE [--target localstack|aws] [--endpoint-url URL] [--run-id ID]
                          (aws + --endpoint-url: the AWS code path rehearsed on LocalStack)
    harness down [--run-id ID]
    harness sweep --topology FILE [--older-than 6h] [--dry-run] [--target aws] [--endpoint-url URL]
    harness runs
    harness run FILE... [--run-id ID]
    harness e2e [--topology FILE] [--scenarios DIR]
    harness access [--run-id ID | --topology FILE] [--outsider ID...] [--json FILE]
    harness change --to NEW.topology.yaml [--run-id ID] [--allow TOKEN ...] [--plan-only]
    harness accept BASE.topology.yaml NEW.topology.yaml [--scenarios DIR] [--allow TOKEN ...]

Errors are printed as one actionable line (one per problem for input files), never a traceback.
This module is an edge: it builds the one :class:`~harness.settings.Settings` of the invocation
from the environment and the options, and passes it down.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from harness import emulator, paths
from harness.errors import HarnessError, InputFileError, RunNotFoundError
from harness.provision import lifecycle
from harness.provision.manifest import STATUS_APPLIED, Manifest, latest_active_run, list_runs
from harness.provision.targets import Target
from harness.settings import Settings
from harness.topology.loader import load_topology

if TYPE_CHECKING:
    from harness.run import ChangeOptions

log = logging.getLogger("harness")

Handler = Callable[[argparse.Namespace, Settings], int]
_COMMANDS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _COMMANDS[name] = fn
        return fn

    return register


# -- emulator -----------------------------------------------------------------------------------
def _emulator_for(mode: str, settings: Settings) -> emulator.HostEmulator | emulator.DockerEmulator:
    if mode == "host":
        return emulator.HostEmulator(settings)
    if mode == "docker":
        return emulator.DockerEmulator(settings)
    raise HarnessError(f"unknown emulator mode {mode!r}")


@command("emulator")
def cmd_emulator(args: argparse.Namespace, settings: Settings) -> int:
    if args.mode == "external":
        if args.action == "start":
            if not args.endpoint_url:
                raise HarnessError("--mode external needs --endpoint-url http://host:port")
            state = emulator.use_external(settings, args.endpoint_url)
            print(f"using external LocalStack at {state.endpoint_url}")
        elif args.action == "stop":
            print("external LocalStack: nothing to stop (it is not ours)")
        else:
            state = emulator.read_state(settings.emulator_dir)
            print(state.endpoint_url if state else "no emulator recorded")
        return 0
    emu = _emulator_for(args.mode, settings)
    if args.action == "start":
        print(f"starting LocalStack ({args.mode} mode)…", file=sys.stderr, flush=True)
        state = emu.start(port=args.port)
        print(f"LocalStack ready at {state.endpoint_url}" + (f" (pid {state.pid}, log {state.log_file})" if state.pid else ""))
        return 0
    if args.action == "stop":
        print("LocalStack stopped" if emu.stop() else "no LocalStack was running")
        return 0
    state = emu.status()
    if state is None:
        print("not running")
        return 3
    healthy = emulator.is_ready(state.endpoint_url)
    print(f"{'running' if healthy else 'unhealthy'} at {state.endpoint_url}" + (f" (pid {state.pid})" if state.pid else ""))
    return 0 if healthy else 4


# -- topology lifecycle -------------------------------------------------------------------------
def _target(args: argparse.Namespace, settings: Settings) -> Target:
    if args.target == "aws":
        # With --endpoint-url (or HARNESS_ENDPOINT_URL): the AWS code path rehearsed on that emulator.
        rehearsal_endpoint = args.endpoint_url or settings.endpoint_url
        return Target("aws", rehearsal_endpoint)
    endpoint = args.endpoint_url or emulator.current_endpoint(settings)
    return Target("localstack", endpoint.rstrip("/"))


@command("validate")
def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    if not args.topology and not args.files:
        raise HarnessError("nothing to validate: give --topology FILE and/or scenario files.")
    if args.topology:
        topo = _load_authorised(args.topology)
        print(
            f"{args.topology}: ok — topology '{topo.name}': {len(topo.accounts)} accounts, {len(topo.topics)} topics, "
            f"{len(topo.queues)} queues, {len(topo.buckets)} buckets, {len(topo.subscriptions)} subscriptions"
        )
    for scenario in _load_scenarios(args.files):
        print(f"{scenario.source}: ok — scenario '{scenario.name}' against {scenario.topology_file}")
    return 0


def _load_authorised(topology_file: str):  # noqa: ANN202 - Topology, imported lazily with the access stage
    """The topology file, validated, and refused when its own modules would not authorise what it declares."""
    from harness.access.static_file import check_topology_access

    topo = load_topology(Path(topology_file))
    check_topology_access(topo)
    return topo


def _load_scenarios(files: Sequence[str]) -> list:
    """Every scenario file, validated against its topology; the problems of all files in one go."""
    from harness.scenario.loader import validate_scenario_files

    return validate_scenario_files([Path(f) for f in files])


@command("up")
def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    _load_authorised(args.topology)  # the file's own errors come first, before any endpoint question
    result = lifecycle.up(Path(args.topology), _target(args, settings), settings, run_id=args.run_id)
    print(result.manifest.run_id)
    return 0


@command("down")
def cmd_down(args: argparse.Namespace, settings: Settings) -> int:
    run_id = args.run_id or latest_active_run(settings).run_id
    lifecycle.down(run_id, settings)
    return 0


@command("sweep")
def cmd_sweep(args: argparse.Namespace, settings: Settings) -> int:
    from harness.provision.sweeper import parse_duration, sweep_topology

    topology = load_topology(Path(args.topology))  # the file's own errors first
    older_than = parse_duration(args.older_than) if args.older_than else None
    report = sweep_topology(topology, _target(args, settings), settings, older_than=older_than, dry_run=args.dry_run)
    return 0 if report.ok else 1


@command("runs")
def cmd_runs(args: argparse.Namespace, settings: Settings) -> int:
    runs = list_runs(settings)
    if not runs:
        print("no runs")
    for m in runs:
        print(f"{m.run_id}  {m.status:<10} {m.target:<10} {m.topology}")
    return 0


@command("run")
def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from harness.report import console_summary
    from harness.run import run_scenarios

    scenarios = _load_scenarios(args.files)  # input errors first, all files at once
    manifest = Manifest.load(args.run_id, settings) if args.run_id else latest_active_run(settings, (STATUS_APPLIED,))
    if manifest.status != STATUS_APPLIED:
        raise RunNotFoundError(
            f"run {manifest.run_id} is {manifest.status}, not applied: scenarios need an applied topology. "
            "`harness runs` lists the runs; `harness up --topology FILE` applies a new one."
        )
    for sc in scenarios:
        if sc.topology_file != manifest.topology_file:
            raise HarnessError(
                f"{sc.source} names topology {sc.topology_file}, but run {manifest.run_id} applied "
                f"{manifest.topology_file}; apply that topology first or pick its run with --run-id"
            )
    finished = run_scenarios(settings, manifest, scenarios, sys.stdout, max_cost_usd=args.max_cost_usd)
    print("\n" + console_summary(finished.report))
    print(f"reports: {finished.files['json'].parent}")
    return 0 if finished.report.status == "passed" else 1


@command("e2e")
def cmd_e2e(args: argparse.Namespace, settings: Settings) -> int:
    from harness.run import e2e

    settings = settings.replace(endpoint_url=args.endpoint_url)
    return e2e(settings, Path(args.topology), Path(args.scenarios), target=args.target, max_cost_usd=args.max_cost_usd)


def _change_options(args: argparse.Namespace) -> ChangeOptions:
    from harness.change.probe import ProbeSettings
    from harness.run import ChangeOptions

    probe = ProbeSettings(rate=args.probe_rate, settle_seconds=args.probe_settle)
    return ChangeOptions(frozenset(args.allow), probe, getattr(args, "plan_only", False))


@command("change")
def cmd_change(args: argparse.Namespace, settings: Settings) -> int:
    from harness.run import change_run

    load_topology(Path(args.to))  # input errors first
    manifest = Manifest.load(args.run_id, settings) if args.run_id else latest_active_run(settings, (STATUS_APPLIED,))
    scenario_dir = Path(args.scenarios) if args.scenarios else Path(args.to).resolve().parent
    return change_run(settings, manifest, Path(args.to), scenario_dir, _change_options(args))


@command("accept")
def cmd_accept(args: argparse.Namespace, settings: Settings) -> int:
    from harness.run import accept

    load_topology(Path(args.base))
    load_topology(Path(args.new))
    settings = settings.replace(endpoint_url=args.endpoint_url or settings.endpoint_url)
    scenario_dir = Path(args.scenarios) if args.scenarios else Path(args.new).resolve().parent
    return accept(settings, Path(args.base), Path(args.new), scenario_dir, _change_options(args))


@command("cost")
def cmd_cost(args: argparse.Namespace, settings: Settings) -> int:
    from harness.scenario import cost

    estimates = cost.estimate_files(args.files, args.topology)
    print(cost.format_table(estimates, itemised=args.itemised))
    total = sum(e.usd for e in estimates)
    limit = args.max_cost_usd
    print(f"total ${total:.4f}; the AWS limit is ${limit:g} (--max-cost-usd)")
    return 0 if total <= limit else 1


@command("compare")
def cmd_compare(args: argparse.Namespace, settings: Settings) -> int:
    from harness.report import compare

    result = compare.compare(compare.load_report(args.old), compare.load_report(args.new), ratio=args.ratio, min_ms=args.min_ms)
    print(compare.comparison_markdown(result))
    return 1 if args.fail_on_regression and result.regressed else 0


@command("access")
def cmd_access(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from harness.provision.sessions import Sessions
    from harness.scenario.access_step import applied_matrix, static_matrix

    outsiders = list(args.outsider or [])
    for account in outsiders:
        if not (len(account) == 12 and account.isdigit()):
            raise HarnessError(f"--outsider {account!r}: give the 12-digit id of an account outside the topology")
    if args.topology and args.run_id:
        raise HarnessError("give --topology FILE (the modules' policies) or --run-id ID (the applied run's), not both")
    if args.topology:
        matrix = static_matrix(_load_authorised(args.topology), outsiders)
        print(f"access matrix of {args.topology} under the policies its Terraform modules would write:")
    else:
        manifest = Manifest.load(args.run_id, settings) if args.run_id else latest_active_run(settings, (STATUS_APPLIED,))
        if manifest.status != STATUS_APPLIED:
            raise RunNotFoundError(f"run {manifest.run_id} is {manifest.status}, not applied: `harness runs` lists the runs; use --topology FILE for the static matrix")
        matrix = applied_matrix(manifest, Sessions.for_manifest(manifest), outsiders)
        print(f"access matrix of run {manifest.run_id} ({manifest.target}), from the policies read back now:")
    print(matrix.table())
    print("yes = allowed, - = not granted (implicit deny), DENY = explicitly denied; callers hold full access in their own account")
    if args.json:
        Path(args.json).write_text(json.dumps(matrix.as_dict(), indent=2) + "\n")
        print(f"written to {args.json}")
    return 0


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

    a = sub.add_parser("access", help="who may publish, subscribe, send, receive, put, read and delete what")
    a.add_argument("--run-id", default=None, help="an applied run, its policies read back (default: the latest applied run)")
    a.add_argument("--topology", default=None, help="instead: a topology file, under the policies its modules would write")
    a.add_argument("--outsider", action="append", help="also show this 12-digit account id from outside the topology (repeatable)")
    a.add_argument("--json", default=None, help="also write the matrix, with each cell's deciding statement, to this file")
    return p


def _terminate_like_ctrl_c() -> None:
    """A CI job being cancelled (SIGTERM) or a closed terminal (SIGHUP) gets the same cleanup as
    Ctrl-C: Terraform is stopped gracefully and what was created is destroyed."""

    def handler(signum: int, frame) -> None:  # noqa: ANN001 - signal's signature
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    _terminate_like_ctrl_c()
    try:
        settings = Settings.from_env(os.environ)
        return _COMMANDS[args.command](args, settings)
    except InputFileError as err:
        print(str(err), file=sys.stderr)
        return err.exit_code
    except HarnessError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
