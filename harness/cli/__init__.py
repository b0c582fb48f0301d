"""The ``harness`` command line: one function per command, registered with :func:`command`.

    harness emulator | validate | up | down | sweep | runs | run | e2e | change | accept | cost | compare | access | load

``harness --help`` and ``harness COMMAND --help`` document each command (what it does, every
option with its default, the environment it honours, examples): the options are in
:mod:`harness.cli.parser`, the texts in :mod:`harness.cli.help`, input-file loading in
:mod:`harness.cli.inputs`. A new command is a function here, its options in ``parser.py`` and its
texts in ``help.py``.

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

from harness import emulator
from harness.cli.inputs import check_same_topology, load_inputs
from harness.cli.inputs import load_authorised as _load_authorised
from harness.cli.parser import build_parser
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
            recorded = emulator.read_state(settings.emulator_dir)
            print(recorded.endpoint_url if recorded else "no emulator recorded")
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
    running = emu.status()
    if running is None:
        print("not running")
        return 3
    healthy = emulator.is_ready(running.endpoint_url)
    print(f"{'running' if healthy else 'unhealthy'} at {running.endpoint_url}" + (f" (pid {running.pid})" if running.pid else ""))
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
    topo, scenarios = load_inputs(args.topology, args.files)  # every file's problems at once
    if topo is not None:
        print(
            f"{args.topology}: ok — topology '{topo.name}': {len(topo.accounts)} accounts, {len(topo.topics)} topics, "
            f"{len(topo.queues)} queues, {len(topo.buckets)} buckets, {len(topo.subscriptions)} subscriptions"
            + (f", {len(topo.functions)} functions" if topo.functions else "")
        )
    for scenario in scenarios:
        print(f"{scenario.source}: ok — scenario '{scenario.name}' against {scenario.topology_file}")
    return 0


def _load_scenarios(files: Sequence[str]) -> list:
    """Every scenario file, validated against its topology; the problems of all files in one go."""
    return load_inputs(None, files)[1]


@command("up")
def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    _load_authorised(args.topology)  # the file's own errors come first, before any endpoint question
    target = _target(args, settings)
    result = lifecycle.up(Path(args.topology), target, settings, run_id=args.run_id)
    if target.settles_deliveries:  # on AWS, as e2e does: until every subscription delivers (bounded, logged)
        from harness.provision.sessions import Sessions
        from harness.scenario.execute.settle import settle_deliveries

        try:
            settle_deliveries(result.manifest, Sessions.for_manifest(result.manifest), sys.stderr)
        except HarnessError as err:
            run_id = result.manifest.run_id
            raise HarnessError(
                f"{err}\nrun {run_id} stays applied; `harness down --run-id {run_id}` destroys it."
            ) from err
    print(result.manifest.run_id)
    return 0


@command("down")
def cmd_down(args: argparse.Namespace, settings: Settings) -> int:
    run_id = args.run_id or latest_active_run(settings).run_id
    lifecycle.down(run_id, settings)
    return 0


@command("sweep")
def cmd_sweep(args: argparse.Namespace, settings: Settings) -> int:
    from harness.provision.sweep import parse_duration, sweep_topology

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
    from harness.run import exit_status, run_scenarios

    scenarios = _load_scenarios(args.files)  # input errors first, all files at once
    manifest = Manifest.load(args.run_id, settings) if args.run_id else latest_active_run(settings, (STATUS_APPLIED,))
    if manifest.status != STATUS_APPLIED:
        raise RunNotFoundError(
            f"run {manifest.run_id} is {manifest.status}, not applied: scenarios need an applied topology. "
            "`harness runs` lists the runs; `harness up --topology FILE` applies a new one."
        )
    check_same_topology(scenarios, manifest)
    finished = run_scenarios(settings, manifest, scenarios, sys.stdout, max_cost_usd=args.max_cost_usd)
    print("\n" + console_summary(finished.report))
    print(f"reports: {finished.files['json'].parent}")
    return exit_status(finished.report, args.accept_inconclusive)


@command("e2e")
def cmd_e2e(args: argparse.Namespace, settings: Settings) -> int:
    from harness.run import e2e

    settings = settings.replace(endpoint_url=args.endpoint_url)
    return e2e(settings, Path(args.topology), Path(args.scenarios), target=args.target, max_cost_usd=args.max_cost_usd,
               accept_inconclusive=args.accept_inconclusive)


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

    load_inputs(args.topology, args.files)  # every file's problems at once
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
    from harness.scenario.execute.access_step import applied_matrix, static_matrix

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


@command("load")
def cmd_load(args: argparse.Namespace, settings: Settings) -> int:
    """Hands over to harness.load_agent: Locust must patch the standard library before boto3 loads."""
    from harness.load.command import agent_argv

    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "harness.load_agent", *agent_argv(args)])
    return 0  # not reached


def _terminate_like_ctrl_c() -> None:
    """A CI job being cancelled (SIGTERM) or a closed terminal (SIGHUP) gets the same cleanup as
    Ctrl-C: Terraform is stopped gracefully and what was created is destroyed. SIGINT itself gets
    Python's handler back even when the harness was started with it ignored (a background job of a
    non-interactive shell), so `kill -INT` always means Ctrl-C."""
    signal.signal(signal.SIGINT, signal.default_int_handler)

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
        # Cleanup has run (or was stopped by a second interrupt, which said so); a further Ctrl-C
        # while the interpreter exits would only print a traceback from its shutdown.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("interrupted", file=sys.stderr)
        return 130

