"""The one exception hierarchy of the harness.

Every error a user can meet derives from :class:`HarnessError`. Its message says what went wrong
and what to do about it; the CLI prints it on one line (or one line per problem for input files)
and exits non-zero without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class HarnessError(Exception):
    """Base class: a failure the user can act on. ``str(err)`` is the full, actionable message."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One defect in an input file: ``file:line: field: message``."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class InputFileError(HarnessError):
    """A topology or scenario file is malformed. Carries every problem found, one per line."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SetupError(HarnessError):
    """The toolchain is missing or damaged (virtualenvs, provider mirror, Terraform)."""


class EmulatorError(HarnessError):
    """LocalStack could not be started, reached or stopped."""


class TerraformError(HarnessError):
    """A Terraform command failed; the message carries Terraform's own diagnostics."""


class CleanupError(HarnessError):
    """Resources of a run survived its destroy and could not be deleted."""


class RunNotFoundError(HarnessError):
    """No run manifest / state for the requested run id."""


class TargetError(HarnessError):
    """The chosen target (localstack / aws) cannot be used as configured."""


class PayloadError(HarnessError):
    """The large-message data path was misused (e.g. too many attributes for an offloaded message)."""


class ServiceUnavailableError(HarnessError):
    """The messaging endpoint (LocalStack or AWS) could not be reached after bounded retries."""
