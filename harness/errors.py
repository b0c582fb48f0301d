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


ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding in an input file: ``file:line: field: message``.

    ``level`` is :data:`ERROR` (the file is refused) or :data:`WARNING` (harmless redundancy, e.g.
    the owner listed among a topic's publishers): a warning reads ``file:line: field: warning:
    message`` and never changes an exit status."""

    file: str
    line: int
    field: str
    message: str
    level: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.level == ERROR

    def __str__(self) -> str:
        tag = "" if self.is_error else f"{self.level}: "
        return f"{self.file}:{self.line}: {self.field}: {tag}{self.message}"


class InputFileError(HarnessError):
    """A topology or scenario file is malformed. Carries every problem found, one per line: the
    errors, and the warnings found beside them (those never refuse a file on their own)."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def errors(self) -> list[Problem]:
        """The problems that refuse the file (without the warnings)."""
        return [p for p in self.problems if p.is_error]


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
