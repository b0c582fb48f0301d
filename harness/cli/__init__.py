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
from typing import TYPE_CHECKING, Any

from harness import emulator
from harness.cli import results
from harness.cli.inputs import RUN_HINT, check_inputs, check_same_topology, load_inputs, load_topology_file
from harness.cli.inputs import load_authorised as _load_authorised
from harness.cli.output import GITHUB, TEXT, Output, annotation, report_annotations
from harness.cli.parser import build_parser
from harness.errors import HarnessError, InputFileError, RunNotFoundError
from harness.provision import lifecycle
from harness.provision.manifest import STATUS_APPLIED, Manifest, latest_active_run, list_runs
from harness.provision.targets import Target
from harness.settings import Settings

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


def _output(args: argparse.Namespace) -> Output:
    """The invocation's ``--output`` (text for a command without the option)."""
    return Output(getattr(args, "output", None) or TEXT, args.command)


@command("validate")
def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    if not args.topology and not args.files:
        raise HarnessError("nothing to validate: give --topology FILE and/or scenario files.")
    out = _output(args)
    inputs = check_inputs(args.topology, args.files, preflight=True)  # every file's problems at once, each once
    ok = not inputs.errors
    for line in results.validate_lines(inputs) if ok else ():  # nothing is called ok while anything is wrong
        out.text(line)
    out.document(ok, inputs.problems, **results.validate_data(inputs))
    return 0 if ok else 2


def _load_scenarios(files: Sequence[str]) -> list:
    """Every scenario file, validated against its topology; the problems of all files in one go."""
    return load_inputs(None, files, RUN_HINT)[1]


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

    topology = load_topology_file(args.topology)  # the file's own errors first
    older_than = parse_duration(args.older_than) if args.older_than else None
    report = sweep_topology(topology, _target(args, settings), settings, older_than=older_than, dry_run=args.dry_run)
    return 0 if report.ok else 1


@command("runs")
def cmd_runs(args: argparse.Namespace, settings: Settings) -> int:
    out = _output(args)
    runs = list_runs(settings)
    if not runs:
        out.text("no runs")
    for m in runs:
        out.text(f"{m.run_id}  {m.status:<10} {m.target:<10} {m.topology}")
    out.document(True, **results.runs_data(runs))
    return 0


@command("run")
def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from harness.report import console_summary
    from harness.run import exit_status, run_scenarios

    settings = settings.replace(reports_dir=args.report_dir)
    scenarios = _load_scenarios(args.files)  # input errors first, all files at once
    manifest = Manifest.load(args.run_id, settings) if args.run_id else latest_active_run(settings, (STATUS_APPLIED,))
    if manifest.status != STATUS_APPLIED:
        raise RunNotFoundError(
            f"run {manifest.run_id} is {manifest.status}, not applied: scenarios need an applied topology. "
            "`harness runs` lists the runs; `harness up --topology FILE` applies a new one."
        )
    check_same_topology(scenarios, manifest)
    out = _output(args)
    progress = sys.stderr if out.is_json else sys.stdout
    finished = run_scenarios(settings, manifest, scenarios, progress, max_cost_usd=args.max_cost_usd)
    print("\n" + console_summary(finished.report), file=progress)
    print(f"reports: {finished.files['json'].parent}", file=progress)
    status = exit_status(finished.report, args.accept_inconclusive)
    _run_verdicts(out, finished.report.as_dict(), finished.files["json"].parent, status)
    return status


def _run_verdicts(out: Output, data: dict[str, Any], reports: Path, status: int) -> None:
    """``run`` / ``e2e --output``: json, the report as one document; github, annotations."""
    if out.is_json:
        out.document(status == 0, exit_status=status, reports=str(reports), report=data)
    elif out.format == GITHUB:
        for line in report_annotations(data):
            print(line, file=out.stdout)


@command("e2e")
def cmd_e2e(args: argparse.Namespace, settings: Settings) -> int:
    from harness.run import Finished, e2e

    settings = settings.replace(endpoint_url=args.endpoint_url, reports_dir=args.report_dir)
    out = _output(args)
    finished: list[Finished] = []
    status = e2e(settings, Path(args.topology), Path(args.scenarios), out=sys.stderr if out.is_json else None, target=args.target,
                 max_cost_usd=args.max_cost_usd, accept_inconclusive=args.accept_inconclusive, finished=finished)
    [result] = finished
    _run_verdicts(out, result.report.as_dict(), result.files["json"].parent, status)
    return status


@command("capacity")
def cmd_capacity(args: argparse.Namespace, settings: Settings) -> int:
    from harness.capacity import DEFAULT_START, Ladder, run_capacity

    settings = settings.replace(endpoint_url=args.endpoint_url, reports_dir=args.report_dir)
    [scenario] = _load_scenarios([args.file])
    manifest = Manifest.load(args.run_id, settings) if args.run_id else None
    if manifest is not None and manifest.status != STATUS_APPLIED:
        raise RunNotFoundError(f"run {manifest.run_id} is {manifest.status}, not applied; leave out --run-id to apply one for the search")
    if manifest is not None:
        check_same_topology([scenario], manifest)
    start = args.start or (scenario.send.rate if scenario.send and scenario.send.rate else DEFAULT_START)
    ladder = Ladder(start, args.factor, args.maximum or max(5000.0, start), args.step_seconds, args.refine)
    capacity, _ = run_capacity(settings, scenario, ladder, sys.stdout, manifest.target if manifest else args.target, manifest, args.max_cost_usd)
    return 0 if capacity.best is not None else 1


def _change_options(args: argparse.Namespace) -> ChangeOptions:
    from harness.change.probe import ProbeSettings
    from harness.run import ChangeOptions

    probe = ProbeSettings(rate=args.probe_rate, settle_seconds=args.probe_settle)
    return ChangeOptions(frozenset(args.allow), probe, getattr(args, "plan_only", False))


@command("change")
def cmd_change(args: argparse.Namespace, settings: Settings) -> int:
    from harness.run import change_run

    load_topology_file(args.to)  # input errors first
    settings = settings.replace(reports_dir=args.report_dir)
    manifest = Manifest.load(args.run_id, settings) if args.run_id else latest_active_run(settings, (STATUS_APPLIED,))
    scenario_dir = Path(args.scenarios) if args.scenarios else Path(args.to).resolve().parent
    return change_run(settings, manifest, Path(args.to), scenario_dir, _change_options(args))


@command("accept")
def cmd_accept(args: argparse.Namespace, settings: Settings) -> int:
    from harness.run import accept

    load_topology_file(args.base)
    load_topology_file(args.new)
    settings = settings.replace(endpoint_url=args.endpoint_url or settings.endpoint_url, reports_dir=args.report_dir)
    scenario_dir = Path(args.scenarios) if args.scenarios else Path(args.new).resolve().parent
    return accept(settings, Path(args.base), Path(args.new), scenario_dir, _change_options(args))


@command("cost")
def cmd_cost(args: argparse.Namespace, settings: Settings) -> int:
    from harness.scenario import cost
    from harness.scenario.cost.prices import Prices

    out = _output(args)
    inputs = check_inputs(args.topology, args.files)  # every file's problems at once
    inputs.raise_if_errors()
    estimates = cost.estimate_files(args.files, args.topology)
    prices = Prices.load()
    total, limit = sum(e.usd for e in estimates), args.max_cost_usd
    out.text(cost.format_table(estimates, prices, itemised=args.itemised))
    out.text(f"total ${total:.4f}; the AWS limit is ${limit:g} (--max-cost-usd)")
    out.document(total <= limit, inputs.warnings, **results.cost_data(estimates, limit, prices.as_of))
    if out.format == GITHUB and total > limit:
        print(annotation("error", f"estimated total ${total:.4f} is above the limit ${limit:g} (--max-cost-usd)", title="harness cost"))
    return 0 if total <= limit else 1


@command("compare")
def cmd_compare(args: argparse.Namespace, settings: Settings) -> int:
    from harness.report import compare

    out = _output(args)
    result = compare.compare(compare.load_report(args.old), compare.load_report(args.new), ratio=args.ratio, min_ms=args.min_ms)
    failed = args.fail_on_regression and result.regressed
    out.text(compare.comparison_markdown(result))
    out.document(not failed, **results.compare_data(result))
    if out.format == GITHUB:
        for change in result.new_failures:
            print(annotation("error", "; ".join(change.failures) or change.new_status, title=f"new failure: {change.scenario}"))
        for lat in result.regressions:
            print(annotation("warning", f"{lat.metric} {lat.old_ms:.1f} ms → {lat.new_ms:.1f} ms", title=f"slower: {lat.scenario}: {lat.path}"))
    return 1 if failed else 0


@command("access")
def cmd_access(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from harness.provision.sessions import Sessions
    from harness.scenario.execute.access_step import applied_matrix, static_matrix

    out = _output(args)
    outsiders = list(args.outsider or [])
    for account in outsiders:
        if not (len(account) == 12 and account.isdigit()):
            raise HarnessError(f"--outsider {account!r}: give the 12-digit id of an account outside the topology")
    if args.topology and args.run_id:
        raise HarnessError("give --topology FILE (the modules' policies) or --run-id ID (the applied run's), not both")
    if args.topology:
        matrix = static_matrix(_load_authorised(args.topology), outsiders)
        source = {"topology": args.topology}
        title = f"access matrix of {args.topology} under the policies its Terraform modules would write:"
    else:
        manifest = Manifest.load(args.run_id, settings) if args.run_id else latest_active_run(settings, (STATUS_APPLIED,))
        if manifest.status != STATUS_APPLIED:
            raise RunNotFoundError(f"run {manifest.run_id} is {manifest.status}, not applied: `harness runs` lists the runs; use --topology FILE for the static matrix")
        matrix = applied_matrix(manifest, Sessions.for_manifest(manifest), outsiders)
        source = {"run_id": manifest.run_id, "target": manifest.target}
        title = f"access matrix of run {manifest.run_id} ({manifest.target}), from the policies read back now:"
    to_stdout = args.json is not None and results.as_path(args.json) is None  # --json -: the document is the output
    if not to_stdout:
        out.text(title)
        out.text(matrix.table())
        out.text("yes = allowed, - = not granted (implicit deny), DENY = explicitly denied; callers hold full access in their own account")
        out.text(results.expiry_text(_load_authorised(args.topology) if args.topology else None, None if args.topology else manifest))
    document = json.dumps(matrix.as_dict(), indent=2) + "\n"
    if to_stdout and not out.is_json:
        sys.stdout.write(document)
    elif args.json:
        Path(args.json).write_text(document)
        out.text(f"written to {args.json}")
    out.document(True, source=source, matrix=matrix.as_dict())
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
    out = _output(args)
    try:
        settings = Settings.from_env(os.environ)
        return _COMMANDS[args.command](args, settings)
    except InputFileError as err:
        out.document(False, err.problems)  # text: a line each on stderr; json: the document; github: annotations
        return err.exit_code
    except HarnessError as err:
        out.error(str(err), err.exit_code)
        return err.exit_code
    except KeyboardInterrupt:
        # Cleanup has run (or was stopped by a second interrupt, which said so); a further Ctrl-C
        # while the interpreter exits would only print a traceback from its shutdown.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("interrupted", file=sys.stderr)
        return 130

