"""boto3 clients acting as a given account in a given region, for an applied run.

How an account is reached (LocalStack's account-id keys, or AWS's assume-role from the process's
credentials) is the target's rule (:meth:`harness.provision.targets.Target.reach` /
:meth:`~harness.provision.targets.Target.session`); this module only caches: one session per
account (so a role is assumed once per run, not once per client) and one client per (service,
account, region). Clients are thread-safe for the calls the harness makes. botocore's own retries
are off (:func:`harness.retry.client_config`): the harness's bounded, logged policy is the only
retry layer, so attempts are never multiplied.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal, overload

import boto3

from harness import retry
from harness.provision.clients import AwsClient, ServiceName
from harness.provision.manifest import Manifest
from harness.provision.requests import RequestCounter
from harness.provision.targets import Target
from harness.topology.model import Account, AwsAccess

if TYPE_CHECKING:
    from types_boto3_iam.client import IAMClient
    from types_boto3_kms.client import KMSClient
    from types_boto3_lambda.client import LambdaClient
    from types_boto3_logs.client import CloudWatchLogsClient
    from types_boto3_s3.client import S3Client
    from types_boto3_sns.client import SNSClient
    from types_boto3_sqs.client import SQSClient
    from types_boto3_sts.client import STSClient


ClientHook = Callable[[str, str, str, "AwsClient"], None]


class Sessions:
    def __init__(self, target: Target, accounts: Mapping[str, Account], run_id: str | None = None):
        self.target = target
        self.accounts = dict(accounts)  # logical name -> Account
        self.run_id = run_id
        self._clients: dict[tuple[str, str, str], AwsClient] = {}
        self._sessions: dict[str, boto3.session.Session] = {}
        self._lock = threading.Lock()
        self.requests = RequestCounter()  # every call of every client handed out, per operation and resource
        # Hooks a scenario's faults install on every client, made so far or later
        # (harness.scenario.faults: botocore event handlers), and the retry policy they ask for.
        self._client_hooks: list[ClientHook] = []
        self.retry_override: retry.RetryPolicy | None = None

    @classmethod
    def for_manifest(cls, manifest: Manifest) -> Sessions:
        """Sessions for an applied run, from what its manifest records (target, endpoint, access)."""
        accounts = {
            name: Account(name, account_id, AwsAccess(**manifest.aws_access.get(name, {})))
            for name, account_id in manifest.accounts.items()
        }
        return cls(Target(manifest.target, manifest.endpoint_url), accounts, manifest.run_id)

    @property
    def retry_policy(self) -> retry.RetryPolicy:
        """The policy for calls on a freshly applied run (the target's; see Target.retry_policy), or
        the one a scenario's fault asks for while it is on (:attr:`retry_override`)."""
        return self.retry_override or self.target.retry_policy

    def hook_clients(self, hook: ClientHook) -> Callable[[], None]:
        """Call ``hook(service, account, region, client)`` on every cached client and every client
        made until the returned function is called."""
        with self._lock:
            self._client_hooks.append(hook)
            existing = list(self._clients.items())
        for (service, account, region), client in existing:
            hook(service, account, region, client)

        def unhook() -> None:
            with self._lock:
                if hook in self._client_hooks:
                    self._client_hooks.remove(hook)

        return unhook

    def account(self, name: str) -> Account:
        """The account called ``name``; an unknown name is taken as an account id (LocalStack)."""
        return self.accounts.get(name) or Account(name, name)

    def account_id(self, account: str) -> str:
        return self.account(account).id

    def session(self, account: str, region: str) -> boto3.session.Session:
        """The account's session (created, and its role assumed, on first use)."""
        with self._lock:
            if account not in self._sessions:
                reach = self.target.reach(self.account(account), self.run_id)
                self._sessions[account] = self.target.session(reach, region)
            return self._sessions[account]

    @overload
    def client(self, service: Literal["sqs"], account: str, region: str) -> SQSClient: ...
    @overload
    def client(self, service: Literal["sns"], account: str, region: str) -> SNSClient: ...
    @overload
    def client(self, service: Literal["s3"], account: str, region: str) -> S3Client: ...
    @overload
    def client(self, service: Literal["kms"], account: str, region: str) -> KMSClient: ...
    @overload
    def client(self, service: Literal["sts"], account: str, region: str) -> STSClient: ...
    @overload
    def client(self, service: Literal["lambda"], account: str, region: str) -> LambdaClient: ...
    @overload
    def client(self, service: Literal["iam"], account: str, region: str) -> IAMClient: ...
    @overload
    def client(self, service: Literal["logs"], account: str, region: str) -> CloudWatchLogsClient: ...
    @overload
    def client(self, service: ServiceName, account: str, region: str) -> AwsClient: ...
    def client(self, service: ServiceName, account: str, region: str) -> AwsClient:
        """The cached client of ``service`` acting as ``account`` in ``region`` (a :class:`ClientFor`)."""
        key = (service, account, region)
        with self._lock:
            cached = self._clients.get(key)
        if cached is not None:
            return cached
        client = self.target.client(self.session(account, region), service, region)
        with self._lock:
            if key in self._clients:
                return self._clients[key]
            self.requests.attach(client)
            self._clients[key] = client
            hooks = list(self._client_hooks)
        for hook in hooks:
            hook(service, account, region, client)
        return client

    def plain_http_client(self, service: ServiceName, account: str, region: str) -> AwsClient:
        """A client that talks plain HTTP (``use_ssl=False``), for probing what a policy does to
        requests without TLS (``aws:SecureTransport``). Not cached: it is for single calls."""
        endpoint = self.target.endpoint_url.replace("https://", "http://", 1) if self.target.endpoint_url else None
        return self.session(account, region).client(
            service, region_name=region, endpoint_url=endpoint, use_ssl=False, config=self.target.client_config
        )
