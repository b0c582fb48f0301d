"""The deployment package of the kit's Lambda consumer, built by the harness, reproducibly.

What goes in: the handler and the payload library it verifies with (``harness/payload/``), the two
foundation modules the library imports (``harness/errors.py``, ``harness/retry.py``) with the
package's ``harness/__init__.py``, and the one dependency beyond boto3 (``tenacity``, from the
harness's own virtualenv; boto3 and botocore are the runtime's, as on AWS). Nothing is committed:
the zip is written next to the run's Terraform root on every render.

Reproducible: the same sources give the same bytes, so the same ``source_code_hash`` and no
redeploy — entries sorted, every timestamp 1980-01-01, every mode 0644, the same compression, no
``__pycache__``. :func:`build` returns the path and the base64 sha256 Terraform compares.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import zipfile
from dataclasses import dataclass
from pathlib import Path

from harness import paths
from harness.errors import SetupError

HANDLER = "harness.payload.lambda_handler.handle"
PACKAGE_NAME = "function-package.zip"
_EPOCH = (1980, 1, 1, 0, 0, 0)
_MODE = 0o644 << 16
_HARNESS_FILES = ("__init__.py", "errors.py", "retry.py")
_DEPENDENCIES = ("tenacity",)


@dataclass(frozen=True)
class Package:
    path: Path
    sha256_b64: str  # base64 of the sha256 of the zip's bytes (Terraform's filebase64sha256)
    files: tuple[str, ...]  # the archive names, in order


def sources() -> list[tuple[str, Path]]:
    """(name in the archive, file) of everything the package holds, sorted by name."""
    package = paths.REPO_ROOT / "harness"
    found = [(f"harness/{name}", package / name) for name in _HARNESS_FILES]
    found += [(f"harness/payload/{p.name}", p) for p in (package / "payload").glob("*.py")]
    for name in _DEPENDENCIES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise SetupError(f"{name} is not installed in the harness's virtualenv; run `make setup` (the function package bundles it)")
        root = Path(spec.origin).parent
        found += [(f"{name}/{p.relative_to(root).as_posix()}", p) for p in root.rglob("*") if _wanted(p)]
    return sorted(found)


def _wanted(path: Path) -> bool:
    return path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".typed")


def archive(entries: list[tuple[str, Path]]) -> bytes:
    """The zip of ``entries``, byte for byte the same for the same files."""
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, path in entries:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = _MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, path.read_bytes(), compresslevel=9)
    return buf.getvalue()


def build(directory: Path) -> Package:
    """Write the package into ``directory`` (unless an identical one is there) and describe it."""
    entries = sources()
    data = archive(entries)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / PACKAGE_NAME
    if not path.is_file() or path.read_bytes() != data:
        tmp = path.with_suffix(".zip.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    return Package(path, digest, tuple(name for name, _ in entries))
