"""The ``harness`` command line.

    harness emulator start|stop|status [--mode host|docker|external] [--port N] [--endpoint-url URL]
    harness validate [--topology FILE] [SCENARIO_FILE...]
    harness up --topology FILE [--target localstack|aws] [--endpoint-url URL] [--run-id ID]
    harness down [--run-id ID]
    harness runs
    harness run FILE... [--run-id ID]
    harness e2e [--topology FILE] [--scenarios DIR]

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

from harness import emulator, paths
from harness.errors import HarnessError, InputFileError, RunNotFoundError
from harness.provision import lifecycle
from harness.provision.manifest import STATUS_APPLIED, Manifest, latest_active_run, list_runs
from harness.provision.targets import Target
from harness.settings import Settings
from harness.topology.loader import load_topology

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
        return Target("aws")
    endpoint = args.endpoint_url or emulator.current_endpoint(settings)
    return Target("localstack", endpoint.rstrip("/"))


@command("validate")
def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    if not args.topology and not args.files:
        raise HarnessError("nothing to validate: give --topology FILE and/or scenario files.")
    if args.topology:
        topo = load_topology(Path(args.topology))
        print(
            f"{args.topology}: ok — topology '{topo.name}': {len(topo.accounts)} accounts, {len(topo.topics)} topics, "
            f"{len(topo.queues)} queues, {len(topo.buckets)} buckets, {len(topo.subscriptions)} subscriptions"
        )
    for scenario in _load_scenarios(args.files):
        print(f"{scenario.source}: ok — scenario '{scenario.name}' against {scenario.topology_file}")
    return 0


def _load_scenarios(files: Sequence[str]) -> list:
    """Every scenario file, validated against its topology; the problems of all files in one go."""
    from harness.scenario.loader import validate_scenario_files

    return validate_scenario_files([Path(f) for f in files])


@command("up")
def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    load_topology(Path(args.topology))  # the file's own errors come first, before any endpoint question
    result = lifecycle.up(Path(args.topology), _target(args, settings), settings, run_id=args.run_id)
    print(result.manifest.run_id)
    return 0


@command("down")
def cmd_down(args: argparse.Namespace, settings: Settings) -> int:
    run_id = args.run_id or latest_active_run(settings).run_id
    lifecycle.down(run_id, settings)
    return 0


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
    u.add_argument("--endpoint-url", default=None, help="LocalStack URL (default: the running emulator)")
    u.add_argument("--run-id", default=None, help="reuse a specific run id (default: a new random one)")

    d = sub.add_parser("down", help="destroy a run (default: the latest one still applied)")
    d.add_argument("--run-id", default=None)

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
