"""AWS regions a topology may name, by partition.

Commercial (``aws``), GovCloud (``aws-us-gov``) and China (``aws-cn``) regions, as published in
botocore's endpoint data (checked against botocore 1.44). Isolated partitions (ISO, EUSC) are not
offered: SNS/SQS cannot reach them from the other partitions and LocalStack does not model them.
Add new regions here when AWS launches them.
"""

from __future__ import annotations

PARTITION_REGIONS: dict[str, tuple[str, ...]] = {
    "aws": (
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
    ),
    "aws-us-gov": ("us-gov-east-1", "us-gov-west-1"),
    "aws-cn": ("cn-north-1", "cn-northwest-1"),
}

REGION_PARTITION: dict[str, str] = {
    region: partition for partition, regions in PARTITION_REGIONS.items() for region in regions
}

KNOWN_REGIONS: tuple[str, ...] = tuple(REGION_PARTITION)


def partition_of(region: str) -> str | None:
    """The ARN partition (``aws``, ``aws-us-gov``, ``aws-cn``) of a known region, else ``None``."""
    return REGION_PARTITION.get(region)
