"""The AWS services the harness calls, and the types of their boto3 clients.

The client classes come from the ``types-boto3-<service>`` stub packages, which only the type checker
reads (``make lint``): they are imported under ``TYPE_CHECKING`` and never at run time, so the
harness itself needs nothing beyond boto3. ``session.client(service)`` with one of these names
returns the service's typed client; :class:`ClientFor` is a ``(service, account, region) -> client``
callable that keeps that typing (:meth:`harness.provision.sessions.Sessions.client` is one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias, overload

if TYPE_CHECKING:
    from types_boto3_iam.client import IAMClient
    from types_boto3_kms.client import KMSClient
    from types_boto3_lambda.client import LambdaClient
    from types_boto3_logs.client import CloudWatchLogsClient
    from types_boto3_s3.client import S3Client
    from types_boto3_sns.client import SNSClient
    from types_boto3_sqs.client import SQSClient
    from types_boto3_sts.client import STSClient

ServiceName: TypeAlias = Literal["sqs", "sns", "s3", "kms", "sts", "lambda", "iam", "logs"]
# Any of the clients above: what a call with a service name known only at run time gets.
AwsClient: TypeAlias = "SQSClient | SNSClient | S3Client | KMSClient | STSClient | LambdaClient | IAMClient | CloudWatchLogsClient"


class ClientFor(Protocol):
    """``(service, account, region) -> client``: the client of ``service`` acting as ``account``."""

    @overload
    def __call__(self, service: Literal["sqs"], account: str, region: str, /) -> SQSClient: ...
    @overload
    def __call__(self, service: Literal["sns"], account: str, region: str, /) -> SNSClient: ...
    @overload
    def __call__(self, service: Literal["s3"], account: str, region: str, /) -> S3Client: ...
    @overload
    def __call__(self, service: Literal["kms"], account: str, region: str, /) -> KMSClient: ...
    @overload
    def __call__(self, service: Literal["sts"], account: str, region: str, /) -> STSClient: ...
    @overload
    def __call__(self, service: Literal["lambda"], account: str, region: str, /) -> LambdaClient: ...
    @overload
    def __call__(self, service: Literal["iam"], account: str, region: str, /) -> IAMClient: ...
    @overload
    def __call__(self, service: Literal["logs"], account: str, region: str, /) -> CloudWatchLogsClient: ...
    @overload
    def __call__(self, service: ServiceName, account: str, region: str, /) -> AwsClient: ...
