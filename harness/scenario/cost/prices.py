"""The price table, the line items and totals of an estimate, and the tally that prices quantities."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import HarnessError

PRICES_FILE = Path(__file__).with_name("prices.json")
DEFAULT_MAX_COST_USD = 5.0
DEFAULT_STORAGE_HOURS = 24.0  # until the next night's sweep, should `down` fail

CHUNK = 64 * 1024  # SNS/SQS bill each started 64 KiB of a request as one request
GIB = 1 << 30
HOURS_PER_MONTH = 730.0
POINTER_BYTES = 256  # the extended-client pointer body, rounded up
HARNESS_ATTRIBUTE_BYTES = 256  # correlation id, publish stamp: an allowance, rounded up
SNS_ENVELOPE_BYTES = 1024  # JSON envelope around a non-raw delivery, rounded up
IDLE_POLLS_PER_SECOND = 1.0  # receive calls while a watched queue stays empty (long polls are fewer)
FUNCTION_BASE_SECONDS = 0.2  # a function's time per message beside its payload's download (an allowance)
FAILURE_RECORD_BYTES = 1024  # a Lambda destination record around the event: requestContext, responseContext, responsePayload
FUNCTION_DOWNLOAD_BYTES_PER_S = 50 * (1 << 20)  # what a function downloads a payload at (a low estimate: more seconds)
ESM_POLLS_PER_HOUR = 5 * 3 * 60  # an event source mapping's pollers: 5 long polls of 20 s each, all the time


class CostLimitError(HarnessError):
    """The estimated AWS cost of the scenarios is over the allowed maximum."""


@dataclass(frozen=True)
class Prices:
    """One dated price table (USD, us-east-1 list prices)."""

    as_of: str
    source: str
    sns_publish_per_million_chunks: float
    sns_fifo_publish_per_million_chunks: float
    sns_fifo_payload_per_gb: float
    sqs_requests_per_million_chunks: float
    sqs_fifo_requests_per_million_chunks: float
    s3_put_per_thousand: float
    s3_get_per_thousand: float
    s3_storage_per_gb_month: float
    inter_region_transfer_per_gb: float
    internet_egress_per_gb: float
    kms_key_per_month: float
    lambda_requests_per_million: float
    lambda_gb_second: float

    @classmethod
    def load(cls, path: Path = PRICES_FILE) -> Prices:
        """The table in ``path``; a :class:`HarnessError` says which field is missing or wrong."""
        try:
            data = json.loads(Path(path).read_text())
            return cls(**{name: data[name] for name in cls.__dataclass_fields__})
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise HarnessError(
                f"{path}: cannot read the price table ({type(exc).__name__}: {exc}); restore it from git or fix the field named."
            ) from exc


@dataclass(frozen=True)
class LineItem:
    what: str
    quantity: float
    unit: str
    usd: float


@dataclass
class CostEstimate:
    """What one scenario is expected to cost on AWS, with the figures it is built from."""

    scenario: str
    file: str
    messages: int = 0
    sns_requests: int = 0  # billed 64 KiB chunks
    sqs_requests: int = 0  # billed 64 KiB chunks
    s3_puts: int = 0
    s3_gets: int = 0
    s3_bytes: int = 0  # payload bytes stored
    inter_region_bytes: int = 0
    egress_bytes: int = 0
    items: list[LineItem] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return self.sns_requests + self.sqs_requests + self.s3_puts + self.s3_gets

    @property
    def usd(self) -> float:
        return sum(item.usd for item in self.items)


def chunks(nbytes: int) -> int:
    return max(1, math.ceil(nbytes / CHUNK))


def copies(count: int, n_sizes: int, index: int) -> int:
    """How many of ``count`` messages get the ``index``-th of ``n_sizes`` cycled sizes."""
    return count // n_sizes + (1 if index < count % n_sizes else 0)


class Tally:
    """Accumulates quantities and money for one scenario."""

    def __init__(self, prices: Prices) -> None:
        self.p = prices
        self.sns = self.sns_fifo = self.sqs = self.sqs_fifo = 0
        self.sns_fifo_bytes = self.puts = self.gets = 0
        self.gib_hours = 0.0
        self.inter = self.egress = self.stored = 0
        self.lambda_requests = 0
        self.lambda_gb_seconds = 0.0

    def sqs_requests(self, n: int, fifo: bool) -> None:
        if fifo:
            self.sqs_fifo += n
        else:
            self.sqs += n

    def finish(self, est: CostEstimate) -> CostEstimate:
        p = self.p
        est.sns_requests = self.sns + self.sns_fifo
        est.sqs_requests = self.sqs + self.sqs_fifo
        est.s3_puts, est.s3_gets, est.s3_bytes = self.puts, self.gets, self.stored
        est.inter_region_bytes, est.egress_bytes = self.inter, self.egress
        rows = [
            ("SNS publish", self.sns, "64 KiB requests", self.sns * p.sns_publish_per_million_chunks / 1e6),
            ("SNS FIFO publish", self.sns_fifo, "64 KiB requests", self.sns_fifo * p.sns_fifo_publish_per_million_chunks / 1e6),
            ("SNS FIFO payload", self.sns_fifo_bytes / GIB, "GiB", self.sns_fifo_bytes / GIB * p.sns_fifo_payload_per_gb),
            ("SQS requests", self.sqs, "64 KiB requests", self.sqs * p.sqs_requests_per_million_chunks / 1e6),
            ("SQS FIFO requests", self.sqs_fifo, "64 KiB requests", self.sqs_fifo * p.sqs_fifo_requests_per_million_chunks / 1e6),
            ("S3 PUT (incl. multipart parts)", self.puts, "requests", self.puts * p.s3_put_per_thousand / 1e3),
            ("S3 GET (ranged, per consumer)", self.gets, "requests", self.gets * p.s3_get_per_thousand / 1e3),
            ("S3 storage", self.gib_hours / HOURS_PER_MONTH, "GiB-months", self.gib_hours / HOURS_PER_MONTH * p.s3_storage_per_gb_month),
            ("inter-region transfer", self.inter / GIB, "GiB", self.inter / GIB * p.inter_region_transfer_per_gb),
            ("internet egress to the runner", self.egress / GIB, "GiB", self.egress / GIB * p.internet_egress_per_gb),
            ("Lambda requests", self.lambda_requests, "invocations", self.lambda_requests * p.lambda_requests_per_million / 1e6),
            ("Lambda duration", self.lambda_gb_seconds, "GB-seconds", self.lambda_gb_seconds * p.lambda_gb_second),
        ]
        est.items = [LineItem(what, qty, unit, usd) for what, qty, unit, usd in rows if qty]
        return est


