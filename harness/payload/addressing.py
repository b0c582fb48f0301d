"""Region of a queue URL or topic ARN, to catch a client built for the wrong region early.

Why: SQS and SNS resolve a queue URL / topic ARN in the *client's* region. A client for us-east-1
sending to a queue in eu-west-1 gets ``NonExistentQueue`` (LocalStack does the same), which reads
like a missing queue. When the region can be read from the address the publisher and consumer say
what is wrong instead. LocalStack's default queue URLs (``http://host:port/<account>/<name>``)
carry no region; then nothing is checked.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

from harness.errors import PayloadError

_REGION = r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d"
_HOST_PATTERNS = (
    re.compile(rf"^sqs\.({_REGION})\.(?:amazonaws\.com(?:\.cn)?|api\.aws|localhost\.localstack\.cloud)$"),
    re.compile(rf"^({_REGION})\.queue\.amazonaws\.com(?:\.cn)?$"),
)
_PATH_PATTERN = re.compile(rf"^/queue/({_REGION})/")


def region_of_queue_url(queue_url: str) -> str | None:
    """``https://sqs.eu-west-1.amazonaws.com/1/q`` -> ``eu-west-1``; None if the URL has no region."""
    parsed = urlparse(queue_url)
    host = (parsed.hostname or "").lower()
    for pattern in _HOST_PATTERNS:
        match = pattern.match(host)
        if match:
            return match.group(1)
    match = _PATH_PATTERN.match(parsed.path)
    return match.group(1) if match else None


def region_of_arn(arn: str) -> str | None:
    """``arn:aws:sns:us-east-1:111111111111:t`` -> ``us-east-1``."""
    parts = arn.split(":")
    return parts[3] or None if len(parts) >= 6 and parts[0] == "arn" else None


def check_client_region(client: object, region: str | None, address: str) -> None:
    """Raise PayloadError when ``client`` is configured for another region than ``address``'s."""
    client_region = getattr(getattr(client, "meta", None), "region_name", None)
    if region and client_region and client_region != region:
        service = getattr(getattr(getattr(client, "meta", None), "service_model", None), "service_name", "client")
        raise PayloadError(
            f"{address} is in {region} but the {service} client is configured for {client_region}; "
            f"build the {service} client with region_name={region!r} (SQS/SNS resolve addresses in the "
            "client's region, even across accounts)."
        )
