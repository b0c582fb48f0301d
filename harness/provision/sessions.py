"""boto3 clients acting as a given account in a given region, for an applied run.

On LocalStack an account is chosen by its access key id (= the account id). On AWS the account's
``role_arn`` is assumed (from the account's ``profile`` or the default credential chain). Clients
are cached per (service, account, region) and are thread-safe for the calls the harness makes.
botocore's own retries are limited to one attempt: the harness's bounded, logged policy
(:mod:`harness.retry`) is the only retry layer, so attempts are never multiplied.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3

from harness.errors import TargetError
from harness.provision.manifest import Manifest
from harness.provision.targets import LOCALSTACK_SECRET_KEY
from harness.retry import client_config

CLIENT_CONFIG = client_config(max_pool_connections=32, s3={"addressing_style": "path"})


class Sessions:
    def __init__(self, target: str, endpoint_url: str | None, accounts: dict[str, str], aws_access: dict[str, dict] | None = None):
        self.target = target
        self.endpoint_url = endpoint_url
        self.accounts = dict(accounts)  # name -> id
        self.aws_access = aws_access or {}
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._sessions: dict[str, boto3.session.Session] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_manifest(cls, manifest: Manifest) -> Sessions:
        return cls(manifest.target, manifest.endpoint_url, manifest.accounts, manifest.aws_access)

    def account_id(self, account: str) -> str:
        return self.accounts.get(account, account)

    def _session(self, account: str, region: str) -> boto3.session.Session:
        account_id = self.account_id(account)
        if self.target == "localstack":
            return boto3.session.Session(
                aws_access_key_id=account_id, aws_secret_access_key=LOCALSTACK_SECRET_KEY, region_name=region
            )
        access = self.aws_access.get(account, {})
        base = boto3.session.Session(profile_name=access.get("profile"), region_name=region)
        role = access.get("role_arn")
        if not role:
            return base
        kwargs: dict[str, Any] = {"RoleArn": role, "RoleSessionName": "e2e-harness"}
        if access.get("external_id"):
            kwargs["ExternalId"] = access["external_id"]
        try:
            creds = base.client("sts").assume_role(**kwargs)["Credentials"]
        except Exception as exc:  # botocore raises many types here; all mean the same to the user
            raise TargetError(f"cannot assume {role} for account {account}: {exc}") from exc
        return boto3.session.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=region,
        )

    def client(self, service: str, account: str, region: str) -> Any:
        key = (service, account, region)
        with self._lock:
            if key not in self._clients:
                session = self._session(account, region)
                self._clients[key] = session.client(service, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG)
            return self._clients[key]
