"""The integration tests' :class:`~harness.settings.Settings`: the process environment once the
session's state directory is in it (``tests/conftest.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.settings import Settings


@pytest.fixture(scope="session")
def settings(harness_state_dir: Path) -> Settings:
    return Settings.from_env(os.environ)
