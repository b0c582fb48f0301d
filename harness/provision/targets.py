"""Where the topology is applied: the embedded LocalStack or real AWS.

Every difference between the two lives in this module, so that nothing else branches on the
target: how a provider block reaches an account, who creates a cross-account subscription, and
how boto3 sessions authenticate.

Emulator differences kept here (measured on LocalStack 4.13.1):
- LocalStack takes the access key id as the account id and enforces no IAM or resource policy,
  so one set of dummy credentials per account is all a provider needs.
- LocalStack answers ``NotFound`` to ``GetSubscriptionAttributes`` from the queue's account, so a
  Terraform subscription created by the queue owner never confirms; the topic owner creates it.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import TargetError
from harness.provision.provider import ProviderProfile
from harness.topology.model import Account

LOCALSTACK_SECRET_KEY = "test"
ENDPOINT_SERVICES = ("sns", "sqs", "s3", "sts", "iam")


@dataclass(frozen=True)
class Target:
    name: str  # "localstack" | "aws"
    endpoint_url: str | None = None  # LocalStack only

    def __post_init__(self) -> None:
        if self.name not in ("localstack", "aws"):
            raise TargetError(f"unknown target {self.name!r}; use 'localstack' or 'aws'.")
        if self.name == "localstack" and not self.endpoint_url:
            raise TargetError("the localstack target needs an endpoint URL (start one with `harness emulator start`).")

    @property
    def is_emulator(self) -> bool:
        return self.name == "localstack"

    def provider_block(self, alias: str, account: Account, region: str, profile: ProviderProfile, run_id: str) -> dict:
        """The ``provider "aws"`` block for one (account, region)."""
        block: dict = {"alias": alias, "region": region}
        if self.is_emulator:
            block.update(
                {
                    "access_key": account.id,  # LocalStack: access key id = account id
                    "secret_key": LOCALSTACK_SECRET_KEY,
                    profile.path_style_argument(): True,
                    **profile.emulator_skip_flags(),
                    # A dead emulator must fail fast, not after the SDK's 25 default retries.
                    "max_retries": 2,
                    "endpoints": [{svc: self.endpoint_url for svc in ENDPOINT_SERVICES}],
                }
            )
            return block
        if not (account.aws.role_arn or account.aws.profile):
            raise TargetError(
                f"account {account.name} ({account.id}) has no way in on AWS: add `aws: {{role_arn: ...}}` "
                "or `aws: {profile: ...}` to it in the topology file."
            )
        block["allowed_account_ids"] = [account.id]  # refuse to touch any other account
        if account.aws.profile:
            block["profile"] = account.aws.profile
        if account.aws.role_arn:
            assume: dict = {"role_arn": account.aws.role_arn, "session_name": f"e2e-harness-{run_id}"}
            if account.aws.external_id:
                assume["external_id"] = account.aws.external_id
            block["assume_role"] = [assume]
        return block

    def subscription_creator(self, topic_account: str, queue_account: str) -> str:
        """Which account's provider creates a topic → queue subscription (always in the topic's region).

        On AWS the queue's account subscribes (auto-confirmed; the topic policy grants it
        sns:Subscribe). LocalStack cannot complete that flow (see module docstring), so there the
        topic's account subscribes the foreign queue.
        """
        return topic_account if self.is_emulator else queue_account
