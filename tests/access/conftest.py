"""Fixtures of the access tests: the iam-simulate oracle, installed on first use."""

from __future__ import annotations

import pytest

from tests.access import oracle


@pytest.fixture(scope="session")
def oracle_ready() -> None:
    """node + tests/access/oracle/node_modules (``npm ci`` from the lockfile if missing, ~5 s).
    Skips only when node itself is absent; any other failure is an error."""
    try:
        oracle.ensure_installed()
    except oracle.OracleUnavailable as err:
        pytest.skip(str(err))
