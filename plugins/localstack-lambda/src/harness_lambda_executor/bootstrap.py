"""The first code of a handler process (run as a script by LocalStack's interpreter with ``-S``).

Standard library only, and nothing from this package: it runs before ``sys.path`` is set.

    python -S bootstrap.py harness-lambda-runtime <localstack pid> <environment id> <lifeline fd> <handler>

1. Ties the process to LocalStack: ``PR_SET_PDEATHSIG(SIGKILL)`` on Linux, then checks that LocalStack
   (the parent) is still there — it may have died between fork and prctl — and starts a thread that
   kills the process group once the lifeline pipe reads EOF (see ``processes``).
2. Sets ``sys.path`` as AWS's Python runtime has it: the function's code (``LAMBDA_TASK_ROOT``), then
   the runtime directory (``LAMBDA_RUNTIME_DIR``: boto3 and the Runtime Interface Client), then the
   standard library; working directory ``LAMBDA_TASK_ROOT``.
3. Hands over to ``awslambdaric``, which loads the handler, reports an init error or polls the Runtime
   API at ``AWS_LAMBDA_RUNTIME_API`` for invocations, forever.
"""

import ctypes
import os
import signal
import sys
import threading

PR_SET_PDEATHSIG = 1


def _say(message: str) -> None:
    try:
        print(f"[harness-lambda-executor] {message}", file=sys.stderr, flush=True)
    except OSError:  # LocalStack, the reader of stderr, is gone
        pass


def _die(message: str, code: int) -> None:
    _say(message)
    os._exit(code)


def _arm_parent_death_signal(localstack_pid: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
                _say(f"prctl(PR_SET_PDEATHSIG) failed (errno {ctypes.get_errno()}); relying on the lifeline pipe alone")
        except (OSError, AttributeError) as exc:
            _say(f"no prctl ({exc}); relying on the lifeline pipe alone")
    if os.getppid() != localstack_pid:
        _die(f"LocalStack (pid {localstack_pid}) exited before this handler process started; exiting", 70)


def _watch_lifeline(fd: int) -> None:
    def watch() -> None:
        while True:
            try:
                if os.read(fd, 4096) == b"":
                    break
            except InterruptedError:
                continue
            except OSError:
                break
        # LocalStack is gone. Nothing to print first: stdout is LocalStack's pipe, and writing to it
        # now raises BrokenPipeError, which would end this thread before the kill.
        os.killpg(0, signal.SIGKILL)

    threading.Thread(target=watch, name="harness-lambda-lifeline", daemon=True).start()


def main(argv: list[str]) -> None:
    if len(argv) != 6 or argv[1] != "harness-lambda-runtime":
        _die(f"usage: {argv[0]} harness-lambda-runtime <localstack pid> <environment id> <lifeline fd> <handler>", 64)
    localstack_pid, lifeline, handler = int(argv[2]), int(argv[4]), argv[5]
    _arm_parent_death_signal(localstack_pid)
    _watch_lifeline(lifeline)

    task_root = os.environ["LAMBDA_TASK_ROOT"]
    runtime_dir = os.environ["LAMBDA_RUNTIME_DIR"]
    script_dir = os.path.dirname(os.path.abspath(argv[0]))
    stdlib = [p for p in sys.path if p and os.path.abspath(p) != script_dir]
    sys.path[:] = [task_root, runtime_dir, *stdlib]
    os.chdir(task_root)

    from awslambdaric.__main__ import main as ric_main  # importable only now that sys.path is set

    ric_main([argv[0], handler])


if __name__ == "__main__":
    main(sys.argv)
