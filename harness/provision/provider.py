"""Which hashicorp/aws provider the harness runs, where Terraform gets it, and what differs by major.

Chosen by the settings' ``provider_source`` / ``provider_version`` (:mod:`harness.settings`):

- ``HARNESS_PROVIDER_SOURCE=mirror`` (default): the offline, checksum-verified 3.39.0 mirror that
  ``make setup`` builds (see :mod:`harness.provision.offline_mirror`).
- ``HARNESS_PROVIDER_SOURCE=registry``: Terraform's normal registry installation; choose the version
  with ``HARNESS_AWS_PROVIDER_VERSION`` (default ``5.100.0``). With ``HARNESS_PROVIDER_MIRROR`` (a
  Terraform filesystem mirror directory holding that version, e.g. a runner without internet)
  hashicorp/aws is installed from there instead, nothing downloaded.

The harness writes its own Terraform CLI config file for this and points ``TF_CLI_CONFIG_FILE`` at
it; the user's ``~/.terraformrc`` is never read or written.

Arguments that changed between provider majors live here and nowhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from harness.errors import SetupError
from harness.provision import offline_mirror
from harness.settings import Settings

VERSION_CONSTRAINT = ">= 3.39, < 7.0"  # what the modules accept
LAMBDA_RUNTIME = "python3.12"  # the runtime the kit's functions run on (a current Python runtime)


@dataclass(frozen=True)
class ProviderProfile:
    source: str  # "mirror" | "registry"
    version: str  # exact version the root pins

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    def path_style_argument(self) -> str:
        """Provider argument forcing path-style S3 addressing (renamed in 4.0)."""
        return "s3_force_path_style" if self.major < 4 else "s3_use_path_style"

    def emulator_skip_flags(self) -> dict[str, bool]:
        flags = {
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            "skip_requesting_account_id": True,
            "skip_region_validation": True,
        }
        if self.major < 4:
            flags["skip_get_ec2_platforms"] = True  # removed in 4.0
        return flags

    def queue_max_message_size(self) -> int:
        """SQS accepts 1 MiB messages (since 2025). 3.39 does not range-check the argument; 4.x, 5.x
        and early 6.x validate it against the old 256 KiB limit and fail at plan."""
        return 262_144 if self.major in (4, 5) else 1_048_576

    def lambda_runtime(self) -> str:
        """The runtime a function is created with. 3.39 validates ``runtime`` against the runtimes of
        its day (up to python3.8, which AWS no longer creates): it creates python3.8 on an emulator and
        the harness moves it to :data:`LAMBDA_RUNTIME` after the apply; on AWS the function kind
        refuses 3.x (:meth:`functions_on_aws`)."""
        return LAMBDA_RUNTIME if self.major >= 4 else "python3.8"

    def functions_on_aws(self) -> bool:
        """Whether this provider can create a function with a current Python runtime on AWS."""
        return self.major >= 4

    def bucket_object_ownership(self) -> str:
        """3.39's validation predates BucketOwnerEnforced (added by AWS in late 2021)."""
        return "BucketOwnerPreferred" if self.major < 4 else "BucketOwnerEnforced"


def current_profile(settings: Settings) -> ProviderProfile:
    """The provider profile ``settings`` choose; a :class:`SetupError` names a wrong variable."""
    source = (settings.provider_source or "mirror").strip().lower()
    if source == "mirror":
        return ProviderProfile("mirror", offline_mirror.PROVIDER_VERSION)
    if source == "registry":
        version = (settings.provider_version or "5.100.0").strip()
        if not re.fullmatch(r"\d+\.\d+\.\d+", version) or not 3 <= int(version.split(".")[0]) <= 6:
            raise SetupError(
                f"HARNESS_AWS_PROVIDER_VERSION={version!r} must be one exact hashicorp/aws release the modules "
                f"accept ({VERSION_CONSTRAINT}), such as 5.100.0; the run's root pins it."
            )
        return ProviderProfile("registry", version)
    raise SetupError(f"HARNESS_PROVIDER_SOURCE={source!r} is not known; use 'mirror' (offline 3.39.0) or 'registry'.")


def write_cli_config(profile: ProviderProfile, settings: Settings) -> Path:
    """Write the Terraform CLI config for ``profile`` under the settings' tools dir; return its path."""
    tools = settings.tools_dir
    tools.mkdir(parents=True, exist_ok=True)
    if profile.source == "mirror":
        if not offline_mirror.is_ready(tools):
            raise SetupError(
                "the offline provider mirror is missing or unverified: run `make setup` "
                "(or set HARNESS_PROVIDER_SOURCE=registry when a registry is reachable)."
            )
        mirror = offline_mirror.mirror_root(tools)
        text = (
            "# Written by the harness; not your ~/.terraformrc.\n"
            "provider_installation {\n"
            "  filesystem_mirror {\n"
            f'    path    = "{mirror}"\n'
            '    include = ["registry.terraform.io/hashicorp/aws"]\n'
            "  }\n"
            "  direct {\n"
            '    exclude = ["registry.terraform.io/hashicorp/aws"]\n'
            "  }\n"
            "}\n"
        )
    elif settings.provider_mirror is not None:
        if not (settings.provider_mirror / "registry.terraform.io" / "hashicorp" / "aws" / profile.version).is_dir():
            raise SetupError(
                f"HARNESS_PROVIDER_MIRROR={settings.provider_mirror} holds no hashicorp/aws {profile.version} "
                f"(registry.terraform.io/hashicorp/aws/{profile.version}/<os>_<arch>/); point it at a filesystem mirror that does, "
                "set HARNESS_AWS_PROVIDER_VERSION to one it holds, or unset it to download from the registry."
            )
        text = (
            "# Written by the harness; not your ~/.terraformrc.\n"
            "provider_installation {\n"
            "  filesystem_mirror {\n"
            f'    path    = "{settings.provider_mirror}"\n'
            '    include = ["registry.terraform.io/hashicorp/aws"]\n'
            "  }\n"
            "  direct {\n"
            '    exclude = ["registry.terraform.io/hashicorp/aws"]\n'
            "  }\n"
            "}\n"
        )
    else:
        cache = tools / "plugin-cache"
        cache.mkdir(exist_ok=True)
        text = (
            "# Written by the harness; not your ~/.terraformrc.\n"
            f'plugin_cache_dir = "{cache}"\n'
            "provider_installation {\n  direct {}\n}\n"
        )
    suffix = "-mirror" if profile.source == "registry" and settings.provider_mirror is not None else ""
    path = tools / f"terraformrc.{profile.source}{suffix}"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path
