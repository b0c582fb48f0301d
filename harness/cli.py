"""The ``harness`` command line.

    harness emulator start|stop|status [--mode host|docker|external] [--port N] [--endpoint-url URL]
    harness validate --topology FILE
    harness up --topology FILE [--target localstack|aws] [--endpoint-url URL] [--run-id ID]
    harness down [--run-id ID]
    harness runs
    harness run FILE... [--run-id ID]
    harness e2e [--topology FILE] [--scenarios DIR]

Errors are printed as one actionable line (one per problem for input files), never a traceback.
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
from harness.provision.manifest import STATUS_APPLIED, latest_active_run, list_runs
from harness.provision.targets import Target
from harness.settings import Settings
from harness.topology.loader import load_topology

log = logging.getLogger("harness")

Handler = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _COMMANDS[name] = fn
        return fn

    return register


# -- emulator -----------------------------------------------------------------------------------
def _emulator_for(mode: str):
    if mode == "host":
        return emulator.HostEmulator()
    if mode == "docker":
        return emulator.DockerEmulator()
    raise HarnessError(f"unknown emulator mode {mode!r}")


@command("emulator")
def cmd_emulator(args: argparse.Namespace) -> int:
    if args.mode == "external":
        if args.action == "start":
            if not args.endpoint_url:
                raise HarnessError("--mode external needs --endpoint-url http://host:port")
            state = emulator.use_external(args.endpoint_url)
            print(f"using external LocalStack at {state.endpoint_url}")
        elif args.action == "stop":
            print("external LocalStack: nothing to stop (it is not ours)")
        else:
            state = emulator.read_state()
            print(state.endpoint_url if state else "no emulator recorded")
        return 0
    emu = _emulator_for(args.mode)
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
def _target(args: argparse.Namespace) -> Target:
    if args.target == "aws":
        return Target("aws")
    endpoint = args.endpoint_url or emulator.current_endpoint()
    return Target("localstack", endpoint.rstrip("/"))


def _settings() -> Settings:
    return Settings.from_env(os.environ)


@command("validate")
def cmd_validate(args: argparse.Namespace) -> int:
    topo = load_topology(Path(args.topology))
    print(
        f"{args.topology}: ok — topology '{topo.name}': {len(topo.accounts)} accounts, {len(topo.topics)} topics, "
        f"{len(topo.queues)} queues, {len(topo.buckets)} buckets, {len(topo.subscriptions)} subscriptions"
    )
    return 0


@command("up")
def cmd_up(args: argparse.Namespace) -> int:
    result = lifecycle.up(Path(args.topology), _target(args), _settings(), run_id=args.run_id)
    print(result.manifest.run_id)
    return 0


@command("down")
def cmd_down(args: argparse.Namespace) -> int:
    settings = _settings()
    run_id = args.run_id or latest_active_run(settings).run_id
    lifecycle.down(run_id, settings)
    return 0


@command("runs")
def cmd_runs(args: argparse.Namespace) -> int:
    runs = list_runs(_settings())
    if not runs:
        print("no runs")
    for m in runs:
        print(f"{m.run_id}  {m.status:<10} {m.target:<10} {m.topology}")
    return 0


@command("run")
def cmd_run(args: argparse.Namespace) -> int:
    from harness.e2e import run_scenarios
    from harness.provision.manifest import Manifest
    from harness.report import console_summary
    from harness.scenario.loader import load_scenario

    settings = _settings()
    manifest = Manifest.load(args.run_id, settings) if args.run_id else latest_active_run(settings, (STATUS_APPLIED,))
    if manifest.status != STATUS_APPLIED:
        raise RunNotFoundError(
            f"run {manifest.run_id} is {manifest.status}, not applied: scenarios need an applied topology. "
            "`harness runs` lists the runs; `harness up --topology FILE` applies a new one."
        )
    scenarios = [load_scenario(f) for f in args.files]
    for sc in scenarios:
        if sc.topology_file != manifest.topology_file:
            raise HarnessError(
                f"{sc.source} names topology {sc.topology_file}, but run {manifest.run_id} applied "
                f"{manifest.topology_file}; apply that topology first or pick its run with --run-id"
            )
    report, files = run_scenarios(manifest, scenarios, sys.stdout)
    print("\n" + console_summary(report))
    print(f"reports: {files['json'].parent}")
    return 0 if report.status == "passed" else 1


@command("e2e")
def cmd_e2e(args: argparse.Namespace) -> int:
    from harness.e2e import e2e

    return e2e(Path(args.topology), Path(args.scenarios))


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

    v = sub.add_parser("validate", help="validate a topology file")
    v.add_argument("--topology", required=True)

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

    x = sub.add_parser("e2e", help="emulator + apply + every scenario + reports + destroy + stop")
    x.add_argument("--topology", default=str(paths.REFERENCE_TOPOLOGY))
    x.add_argument("--scenarios", default=str(paths.SCENARIOS_DIR))
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
        return _COMMANDS[args.command](args)
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
