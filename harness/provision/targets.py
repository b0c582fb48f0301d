"""Where the topology is applied: the embedded LocalStack, real AWS, or AWS rehearsed on LocalStack.

Every difference between the targets lives here (and, for the rehearsal, in
:mod:`harness.provision.rehearsal`), so nothing else branches on the target. A :class:`Target` is
the single owner of "how do I reach account X in region R", for Terraform and boto3 alike:

- :meth:`Target.reach` turns a topology account into a :class:`Reach` — the one credential rule;
- :meth:`Target.provider_block` renders it as a ``provider "aws"`` block (Terraform);
- :meth:`Target.session` / :meth:`Target.client` turn it into boto3 sessions and clients (the
  harness's own calls: the name check, scenarios, the sweeps);
- :meth:`Target.subscription_creator` says who creates a cross-account subscription.

Targets:

- ``localstack``: the access key id is the account id (LocalStack's rule), the secret is dummy.
  Emulator differences kept here (measured on LocalStack 4.13.1): LocalStack enforces no IAM or
  resource policy, so one set of dummy credentials per account is all a provider needs; and it
  answers ``NotFound`` to ``GetSubscriptionAttributes`` from the queue's account, so a Terraform
  subscription created by the queue owner never confirms — the topic owner creates it.
- ``aws``: the process's own credentials (the "hub": environment, profile chain, OIDC in CI)
  assume each account's ``role_arn`` (optionally from the account's ``profile``, with its
  ``external_id``); every provider is pinned to its account with ``allowed_account_ids``; the
  queue's account creates cross-account subscriptions (auto-confirmed).
- ``aws`` with an endpoint URL: the **rehearsal** — the AWS code path above, pointed at LocalStack
  (``harness up --target aws --endpoint-url URL``). What must differ from AWS even then is listed,
  and only applied, in :mod:`harness.provision.rehearsal`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError

from harness import retry
from harness.errors import TargetError
from harness.provision import rehearsal
from harness.provision.clients import AwsClient, ServiceName
from harness.provision.provider import ProviderProfile
from harness.topology.model import Account

if TYPE_CHECKING:
    from types_boto3_sts.client import STSClient

TARGET_NAMES = ("localstack", "aws")
LOCALSTACK_SECRET_KEY = "test"
ENDPOINT_SERVICES = rehearsal.ENDPOINT_SERVICES
SESSION_NAME = "e2e-harness"

# A role created moments ago (terraform/bootstrap) may be denied to AssumeRole until IAM propagates.
ASSUME_ROLE_POLICY = retry.DEFAULT_POLICY.settling(retry.PROPAGATION)

# botocore's own retries are off: harness.retry is the only retry layer (see its docstring).
_BASE_CLIENT_CONFIG = retry.client_config(max_pool_connections=32)
# An emulator endpoint has no per-bucket DNS names: S3 is addressed by path there.
_ENDPOINT_CLIENT_CONFIG = _BASE_CLIENT_CONFIG.merge(Config(s3={"addressing_style": "path"}))


def session_name(run_id: str | None) -> str:
    """The assumed-role session name, ``e2e-harness-<run-id>`` (CloudTrail shows which run acted)."""
    return f"{SESSION_NAME}-{run_id}" if run_id else SESSION_NAME


@dataclass(frozen=True)
class Reach:
    """How one account is reached on a target: the single credential rule, read by the provider
    block (Terraform) and the boto3 session (the harness's own calls) alike."""

    account: str  # logical name in the topology
    account_id: str
    static_keys: tuple[str, str] | None = None  # (access key id, secret key): LocalStack only
    profile: str | None = None  # a named profile for the base credentials (AWS)
    role_arn: str | None = None  # assumed from the base credentials (AWS)
    external_id: str | None = None
    session_name: str = SESSION_NAME

    @property
    def assumes_role(self) -> bool:
        return bool(self.role_arn)

    def provider_arguments(self) -> dict[str, Any]:
        """The credential arguments of a ``provider "aws"`` block for this account."""
        if self.static_keys:
            return {"access_key": self.static_keys[0], "secret_key": self.static_keys[1]}
        args: dict[str, Any] = {"allowed_account_ids": [self.account_id]}  # refuse to touch any other account
        if self.profile:
            args["profile"] = self.profile
        if self.role_arn:
            assume: dict[str, str] = {"role_arn": self.role_arn, "session_name": self.session_name}
            if self.external_id:
                assume["external_id"] = self.external_id
            args["assume_role"] = [assume]
        return args


@dataclass(frozen=True)
class Target:
    name: str  # "localstack" | "aws"
    endpoint_url: str | None = None  # LocalStack's URL; with "aws", the rehearsal's emulator

    def __post_init__(self) -> None:
        if self.name not in TARGET_NAMES:
            raise TargetError(f"unknown target {self.name!r}; use 'localstack' or 'aws'.")
        if self.name == "localstack" and not self.endpoint_url:
            raise TargetError("the localstack target needs an endpoint URL (start one with `harness emulator start`).")
        if self.endpoint_url:
            object.__setattr__(self, "endpoint_url", self.endpoint_url.rstrip("/"))

    @property
    def is_emulator(self) -> bool:
        """The LocalStack target (dummy per-account keys), not the AWS code path."""
        return self.name == "localstack"

    @property
    def is_rehearsal(self) -> bool:
        """The AWS code path pointed at an emulator (see :mod:`harness.provision.rehearsal`)."""
        return self.name == "aws" and bool(self.endpoint_url)

    @property
    def label(self) -> str:
        """How messages name the target: ``localstack``, ``aws`` or ``aws (rehearsal on URL)``."""
        return f"aws (rehearsal on {self.endpoint_url})" if self.is_rehearsal else self.name

    # -- the credential rule ------------------------------------------------------------------------
    def reach(self, account: Account, run_id: str | None = None) -> Reach:
        """How ``account`` is reached on this target (raises TargetError when it cannot be)."""
        if self.is_emulator:
            return Reach(account.name, account.id, static_keys=(account.id, LOCALSTACK_SECRET_KEY))
        if not (account.aws.role_arn or account.aws.profile):
            raise TargetError(
                f"account {account.name} ({account.id}) has no way in on AWS: add `aws: {{role_arn: ...}}` "
                "or `aws: {profile: ...}` to it in the topology file."
            )
        return Reach(
            account.name,
            account.id,
            profile=account.aws.profile,
            role_arn=account.aws.role_arn,
            external_id=account.aws.external_id,
            session_name=session_name(run_id),
        )

    # -- Terraform -------------------------------------------------------------------------------------
    def provider_block(self, alias: str, account: Account, region: str, profile: ProviderProfile, run_id: str) -> dict[str, Any]:
        """The ``provider "aws"`` block for one (account, region)."""
        block: dict[str, Any] = {"alias": alias, "region": region, **self.reach(account, run_id).provider_arguments()}
        if self.is_emulator:
            block.update(
                {
                    profile.path_style_argument(): True,
                    **profile.emulator_skip_flags(),
                    # A dead emulator must fail fast, not after the SDK's 25 default retries.
                    "max_retries": 2,
                    "endpoints": [{svc: self.endpoint_url for svc in ENDPOINT_SERVICES}],
                }
            )
        elif self.is_rehearsal:
            block.update(rehearsal.provider_overrides(profile, str(self.endpoint_url)))
        return block

    def subscription_creator(self, topic_account: str, queue_account: str) -> str:
        """Which account's provider creates a topic → queue subscription (always in the topic's region).

        On AWS the queue's account subscribes (auto-confirmed; the topic policy grants it
        sns:Subscribe). LocalStack cannot complete that flow (see module docstring), so there — and
        in the rehearsal, see :data:`rehearsal.DIFFERENCES` — the topic's account subscribes.
        """
        if self.is_emulator or (self.is_rehearsal and not rehearsal.QUEUE_OWNER_SUBSCRIBES):
            return topic_account
        return queue_account

    @property
    def retry_policy(self) -> retry.RetryPolicy:
        """How calls right after an apply retry: on AWS (and in its rehearsal) they also wait out IAM /
        policy propagation and new-queue visibility (:data:`harness.retry.AFTER_APPLY`); the emulator
        has neither, so there a denial or a missing queue fails at once."""
        return retry.DEFAULT_POLICY if self.is_emulator else retry.AFTER_APPLY

    @property
    def settles_deliveries(self) -> bool:
        """Whether a fresh apply is followed by the delivery canary (:mod:`harness.scenario.execute.settle`):
        on AWS a new subscription may not deliver for a while (queue-policy propagation; SNS drops a
        refused delivery and retries failed ones with backoff). The rehearsal runs it too (it passes
        at once there); the emulator delivers from the start, so the LocalStack target does not."""
        return not self.is_emulator

    # -- boto3 -------------------------------------------------------------------------------------------
    @property
    def client_config(self) -> Config:
        return _ENDPOINT_CLIENT_CONFIG if self.endpoint_url else _BASE_CLIENT_CONFIG

    def session(self, reach: Reach, region: str) -> boto3.session.Session:
        """A boto3 session acting as ``reach``'s account (``region`` is the session's default).

        On AWS (and in the rehearsal) the role is assumed once here; the credentials refresh
        themselves before they expire, so a run longer than the role's session still works.
        """
        if reach.static_keys:
            key, secret = reach.static_keys
            return boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name=region)
        base = boto3.session.Session(profile_name=reach.profile, region_name=region)
        if not reach.role_arn:
            return base
        sts = base.client("sts", endpoint_url=self.endpoint_url, config=self.client_config)

        def fetch() -> dict[str, Any]:
            return self._assume(sts, reach)

        credentials = RefreshableCredentials.create_from_metadata(fetch(), fetch, "sts-assume-role")
        core = botocore.session.Session()
        core.get_component("credential_provider").insert_before("env", _Assumed(credentials))
        return boto3.session.Session(botocore_session=core, region_name=region)

    def client(self, session: boto3.session.Session, service: ServiceName, region: str) -> AwsClient:
        """A client of ``session`` for ``service`` in ``region``, at this target's endpoint."""
        return session.client(service, region_name=region, endpoint_url=self.endpoint_url, config=self.client_config)

    def _assume(self, sts: STSClient, reach: Reach) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"RoleArn": reach.role_arn, "RoleSessionName": reach.session_name}
        if reach.external_id:
            kwargs["ExternalId"] = reach.external_id
        try:
            creds = retry.call("sts.AssumeRole", sts.assume_role, policy=ASSUME_ROLE_POLICY, **kwargs)["Credentials"]
        except (ClientError, BotoCoreError) as exc:
            raise TargetError(
                f"cannot assume {reach.role_arn} for account {reach.account} ({retry.error_code(exc)}: {exc}); "
                "check the role exists and trusts the credentials this process runs with (the hub role in CI)."
            ) from exc
        expiry = creds["Expiration"]
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": expiry.isoformat() if isinstance(expiry, datetime) else str(expiry),
        }


class _Assumed(CredentialProvider):
    """Hands botocore the assumed role's (self-refreshing) credentials before any other source."""

    METHOD = "harness-assume-role"
    CANONICAL_NAME = "harness-assume-role"

    def __init__(self, credentials: RefreshableCredentials):
        super().__init__()
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials
