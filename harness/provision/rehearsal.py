"""The rehearsal of the AWS target on LocalStack, and every place where it must differ from AWS.

``harness up --target aws --endpoint-url URL`` runs the AWS code path itself against an emulator:
the process's own ("hub") credentials, ``sts:AssumeRole`` into each account's ``role_arn`` (the
emulator maps assumed-role credentials to the role's account, ``LSIA…`` keys), providers pinned
with ``allowed_account_ids`` (checked against ``sts:GetCallerIdentity``, so the account each role
lands in is verified), assumed-role boto3 sessions for the harness's own calls. That is the path
the nightly runs on AWS, exercised by ``make test``.

Nothing else may differ. What does, and why, is listed in :data:`DIFFERENCES` (also in the
README's "Targets" section); :mod:`harness.provision.targets` applies only what this module says.
Measured on LocalStack 4.13.1 (host mode) with hashicorp/aws 3.39.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.provision.provider import ProviderProfile

ENDPOINT_SERVICES = ("sns", "sqs", "s3", "sts", "iam", "kms", "lambda", "cloudwatchlogs")

#: Whether the queue's account can create a cross-account subscription in the rehearsal as it does
#: on AWS. It cannot: LocalStack answers NotFound to the queue owner's GetSubscriptionAttributes,
#: so Terraform's subscription never confirms (see DIFFERENCES).
QUEUE_OWNER_SUBSCRIBES = False


@dataclass(frozen=True)
class Difference:
    """One place where the rehearsal is not what AWS does."""

    what: str  # the AWS behaviour
    rehearsal: str  # what the rehearsal does instead
    why: str  # the emulator fact that forces it


DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        "providers and boto3 use the public AWS endpoints",
        "every service (sns, sqs, s3, sts, iam, kms, lambda, cloudwatchlogs) is pointed at the emulator's URL",
        "that is the emulator",
    ),
    Difference(
        "S3 is addressed virtual-host style (BUCKET.s3.REGION.amazonaws.com)",
        "path-style addressing (provider: s3_force_path_style / s3_use_path_style; boto3: addressing_style=path)",
        "the emulator's host has no per-bucket DNS names",
    ),
    Difference(
        "the provider looks up EC2 platforms (3.x) and may ask the instance metadata service for credentials",
        "skip_get_ec2_platforms (3.x) and skip_metadata_api_check",
        "EC2 and IMDS are outside the emulator; the lookups would go to the real AWS or hang",
    ),
    Difference(
        "the provider retries API errors up to 25 times",
        "max_retries = 2",
        "a dead emulator must fail the apply in seconds, not minutes",
    ),
    Difference(
        "cross-account subscriptions are created by the queue's account in the topic's region (auto-confirmed)",
        "the topic's account creates them",
        "LocalStack 4.13.1 answers NotFound to GetSubscriptionAttributes from the queue's account, so a "
        "subscription created by the queue owner's provider never confirms",
    ),
    Difference(
        "AssumeRole needs an existing role whose trust policy admits the hub credentials",
        "any role ARN is assumable with any credentials (no role needs to exist)",
        "LocalStack community evaluates no trust policy; the rehearsal test creates the roles anyway "
        "(terraform/bootstrap) so the ARNs are real",
    ),
    Difference(
        "IAM, resource and key policies decide every call; a new role or policy takes seconds to propagate",
        "every call is allowed at once",
        "LocalStack community enforces no IAM (ENFORCE_IAM is a paid feature); the propagation wait is "
        "tested with stubbed AWS answers (tests/unit/test_aws_behaviour.py)",
    ),
    Difference(
        "a new subscription may not deliver for a while after apply (the queue policy propagates; SNS drops a "
        "delivery the queue refuses and retries failed ones with backoff): the settle step's canary per "
        "subscription is published again every 10 s until it arrives, for up to 120 s",
        "every canary arrives at once (the step passes in about a second)",
        "the emulator delivers as soon as the subscription exists; the waiting, republishing and the error "
        "naming the subscription are tested with a stub SNS/SQS (tests/unit/test_aws_behaviour.py)",
    ),
    Difference(
        "a Lambda function is created with a current Python runtime (python3.12), which needs provider 4 or later: with "
        "3.39 the AWS target refuses a topology with functions before anything is applied",
        "provider 3.39 creates the function as python3.8 and the harness moves it to python3.12 right after the apply",
        "3.39 validates runtime against the runtimes of its day; AWS no longer creates python3.8 functions, LocalStack 4.13.1 "
        "still does (and the kit's executor runs every Python function on the host's Python 3.11)",
    ),
    Difference(
        "the e2e role may create a function's execution role only under /hx/, only with the account's permissions boundary, "
        "and pass it to Lambda only; the boundary caps what the function's role may do",
        "the role is created under /hx/ with the bootstrap's boundary (the rehearsal test reads both back), but nothing checks "
        "that the e2e role was allowed to, nor that the function keeps within the boundary",
        "LocalStack community enforces no IAM; the bootstrap's policies and the boundary are judged offline instead, by the kit's "
        "evaluator and @cloud-copilot/iam-simulate (tests/terraform/test_bootstrap.py)",
    ),
    Difference(
        "a topic's max_message_size above 256 KiB is set after the apply (SetTopicAttributes MaximumMessageSize)",
        "it is not set; a scenario relying on it is reported as not observable",
        "LocalStack 4.13.1 hard-codes SNS's 256 KiB limit",
    ),
    Difference(
        "the hub role's session comes from GitHub's OIDC token (aws-actions/configure-aws-credentials) and "
        "expires after an hour",
        "the hub role is assumed with the hub account's test keys (access key id = its 12-digit id); its "
        "session credentials are the process's own, as in CI",
        "the emulator has no OIDC issuer to trust and reads the account from the access key id",
    ),
)


def provider_overrides(profile: ProviderProfile, endpoint_url: str) -> dict[str, Any]:
    """What a rehearsal adds to an AWS ``provider "aws"`` block (each item is in DIFFERENCES).

    Credential validation and the account-id lookup stay on: ``allowed_account_ids`` is checked
    against the account the assumed role lands in, as on AWS.
    """
    block: dict[str, Any] = {
        "endpoints": [{svc: endpoint_url for svc in ENDPOINT_SERVICES}],
        profile.path_style_argument(): True,
        "skip_metadata_api_check": True,
        "max_retries": 2,
    }
    if profile.major < 4:
        block["skip_get_ec2_platforms"] = True  # removed in 4.0
    return block


def describe() -> str:
    """The differences as a Markdown table (the README's copy is checked against it)."""
    rows = ["| on AWS | in the rehearsal | why |", "| --- | --- | --- |"]
    rows += [f"| {d.what} | {d.rehearsal} | {d.why} |" for d in DIFFERENCES]
    return "\n".join(rows)
