"""Shared fixtures. Integration tests run against a real LocalStack process, started once per test
session (per xdist worker) on a free port, with its own state directory, and stopped at the end."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from harness import paths
from harness.emulator import EmulatorState, HostEmulator, ephemeral_port
from harness.provision import lifecycle
from harness.provision.manifest import Manifest
from harness.provision.targets import Target
from harness.settings import Settings


@pytest.fixture(scope="session")
def harness_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Runs, manifests and emulator state of the test session live in a temp dir, not in .harness/."""
    state = tmp_path_factory.mktemp("harness-state")
    old = os.environ.get("HARNESS_STATE_DIR")
    os.environ["HARNESS_STATE_DIR"] = str(state)
    yield state
    if old is None:
        os.environ.pop("HARNESS_STATE_DIR", None)
    else:
        os.environ["HARNESS_STATE_DIR"] = old


@pytest.fixture(scope="session")
def settings(harness_state_dir: Path) -> Settings:
    """The test session's Settings, as an edge builds them (HARNESS_STATE_DIR is the session's)."""
    return Settings.from_env(os.environ)


@pytest.fixture(scope="session")
def localstack(settings: Settings) -> Iterator[EmulatorState]:
    """A real LocalStack (host mode) for the whole session; stopped and its S3 data deleted after."""
    emu = HostEmulator(settings)
    state = emu.start(port=ephemeral_port(), tied_to=os.getpid())  # a killed pytest leaves none behind  # never a fixed port: parallel sessions would race for it
    try:
        yield state
    finally:
        emu.stop()


@pytest.fixture(scope="session")
def endpoint_url(localstack: EmulatorState) -> str:
    return localstack.endpoint_url


class AwsClients:
    """boto3 clients for LocalStack, one per (service, account id, region)."""

    def __init__(self, endpoint_url: str):
        self.endpoint_url = endpoint_url
        self._cache: dict[tuple[str, str, str], object] = {}

    def __call__(self, service: str, account_id: str, region: str):
        key = (service, account_id, region)
        if key not in self._cache:
            session = boto3.session.Session(
                aws_access_key_id=account_id, aws_secret_access_key="test", region_name=region
            )
            self._cache[key] = session.client(service, endpoint_url=self.endpoint_url)
        return self._cache[key]


@pytest.fixture(scope="session")
def reference_run(endpoint_url: str, settings: Settings) -> Iterator[Manifest]:
    """The reference topology applied once for the whole session (per xdist worker) and destroyed
    at its end: for the modules that only run scenarios against it and read it. A module that breaks
    a policy or destroys resources applies a run of its own."""
    manifest = lifecycle.up(paths.REFERENCE_TOPOLOGY, Target("localstack", endpoint_url), settings, out=io.StringIO()).manifest
    try:
        yield manifest
    finally:
        lifecycle.down(manifest.run_id, settings, out=io.StringIO())


@pytest.fixture(scope="session")
def aws(endpoint_url: str) -> AwsClients:
    """``aws("sqs", "222222222222", "eu-west-1")`` → a client acting as that account in that region."""
    return AwsClients(endpoint_url)


@pytest.fixture(scope="session", autouse=True)
def every_report_follows_its_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """At the end of the session, every report.json a test wrote (under the session's temporary
    directories) must validate against docs/schema/report.schema.json."""
    yield
    from tests.unit.test_report_schema import validate_reports_under

    bad = validate_reports_under(tmp_path_factory.getbasetemp())
    assert not bad, "report.json files that do not follow docs/schema/report.schema.json:\n" + "\n".join(bad[:20])
