"""What a handler can import besides its own code: the runtime directory.

On AWS's Python runtime a handler imports its deployment package (``/var/task``), its layers, the
standard library and what the runtime ships (``boto3``/``botocore`` and the Runtime Interface Client
in ``/var/runtime``) — nothing else. Handler processes here run LocalStack's interpreter with ``-S``
(no site-packages), so LocalStack's own dependencies are not importable; instead ``sys.path`` gets a
directory of symlinks to just the distributions below, taken from LocalStack's virtualenv. A
deployment package that forgot a dependency therefore fails here as it would on AWS.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from importlib import metadata
from pathlib import Path

LOG = logging.getLogger(__name__)

#: boto3 and its dependencies (as on AWS's Python runtime), and the Runtime Interface Client with its own.
RUNTIME_DISTRIBUTIONS: tuple[str, ...] = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "python-dateutil",
    "six",
    "urllib3",
    "awslambdaric",
    "simplejson",
    "snapshot-restore-py",
)

_lock = threading.Lock()
_built: Path | None = None


class RuntimeSiteError(RuntimeError):
    pass


def runtime_dir() -> Path:
    """The runtime directory of this LocalStack process (built on first use in its temp dir)."""
    global _built
    with _lock:
        if _built is None or not _built.is_dir():
            _built = _build(Path(tempfile.gettempdir()) / "harness-lambda" / f"runtime-{os.getpid()}")
        return _built


def _build(target: Path) -> Path:
    staging = target.with_name(target.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in RUNTIME_DISTRIBUTIONS:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError as exc:
            raise RuntimeSiteError(
                f"{name} is not installed in LocalStack's virtualenv, but Lambda handlers need it; run `make setup`"
            ) from exc
        for top in _top_level_entries(dist):
            link = staging / top.name
            if not link.exists():
                link.symlink_to(top)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    LOG.debug("Lambda runtime directory %s: %s", target, sorted(p.name for p in target.iterdir()))
    return target


def _top_level_entries(dist: metadata.Distribution) -> set[Path]:
    """The top-level modules, packages and metadata directory a distribution installed."""
    base = Path(str(dist.locate_file("")))
    tops: set[Path] = set()
    for file in dist.files or ():
        parts = Path(str(file)).parts
        if not parts or parts[0] in ("..", "__pycache__") or parts[0].endswith(".data"):
            continue  # scripts in bin/, byte-code caches, wheel data
        tops.add(base / parts[0])
    return {t for t in tops if t.exists()}
