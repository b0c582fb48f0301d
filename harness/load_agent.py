"""The process entry of ``harness load``'s master and of its workers (an edge, like the CLI).

    python -m harness.load_agent load SCENARIO… --run-id ID (--duration S | --messages N) [options]   # master
    python -m harness.load_agent load SCENARIO… --run-id ID --worker --master-host H --master-port P   # worker

Locust patches the standard library with gevent when it is imported; boto3 (and ssl) imported before
that break (recursion in ssl), so this module imports Locust before anything else and ``harness
load`` hands over to it. It takes the same options as ``harness load`` (the CLI's parser) and builds
the invocation's Settings from the environment, as the CLI does.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import locust  # noqa: F401 - first: gevent patches the standard library before boto3 and ssl load

from harness.cli.parser import build_parser
from harness.errors import HarnessError, InputFileError
from harness.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sys.argv = sys.argv[:1]  # Locust's web UI parses sys.argv as its own options: it has none here
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env(os.environ)
        if args.worker:
            return _worker(args, settings)
        from harness.load.command import LoadOptions, run_load

        return run_load(settings, LoadOptions.from_args(args), sys.stdout)
    except InputFileError as err:
        print(str(err), file=sys.stderr)
        return err.exit_code
    except HarnessError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:  # before the master took over the signals: nothing was started yet
        print("interrupted", file=sys.stderr)
        return 130


def _worker(args, settings: Settings) -> int:  # noqa: ANN001 - argparse.Namespace
    from harness.load.command import load_inputs
    from harness.load.users import run_worker

    # Ctrl-C in the terminal is the master's to handle: it stops the workers and takes their last reports.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not args.master_port:
        raise HarnessError("a worker needs --master-port (and --master-host unless the master is on this machine)")
    scenarios, _ = load_inputs(settings, tuple(Path(f) for f in args.files), args.run_id)
    return run_worker(settings, scenarios, args.run_id, args.master_host or "127.0.0.1", args.master_port)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Locust's and gevent's greenlets must not keep a finished master or worker alive.
    os._exit(code)
