"""In-memory stand-ins for the S3 / SQS / SNS calls the payload package makes (unit tests only)."""

from __future__ import annotations

import hashlib
import io
import itertools
import re
import threading
from types import SimpleNamespace
from typing import Any

from botocore.exceptions import ClientError


def client_error(code: str, status: int = 400, operation: str = "Op", message: str = "") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message or code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


class FakeS3:
    """Objects in a dict; multipart uploads assembled on completion; tracks concurrency."""

    def __init__(self, region: str = "us-east-1"):
        self.meta = SimpleNamespace(region_name=region, config=SimpleNamespace(request_checksum_calculation="when_supported"))
        self.objects: dict[tuple[str, str], tuple[bytes, dict[str, str]]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.errors: dict[str, list[Exception]] = {}  # operation -> errors to raise first
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def _enter(self, op: str, kw: dict[str, Any]) -> None:
        with self._lock:
            self.calls.append((op, {k: v for k, v in kw.items() if k != "Body"}))
            pending = self.errors.get(op)
            if pending:
                raise pending.pop(0)

    def put_object(self, **kw: Any) -> dict[str, Any]:
        self._enter("PutObject", kw)
        body = bytes(kw["Body"])
        self.objects[(kw["Bucket"], kw["Key"])] = (body, dict(kw.get("Metadata") or {}))
        return {"ETag": f'"{hashlib.md5(body).hexdigest()}"'}

    def create_multipart_upload(self, **kw: Any) -> dict[str, Any]:
        self._enter("CreateMultipartUpload", kw)
        upload_id = f"u{next(self._ids)}"
        self.uploads[upload_id] = {"parts": {}, "metadata": dict(kw.get("Metadata") or {}), "key": (kw["Bucket"], kw["Key"])}
        return {"UploadId": upload_id}

    def upload_part(self, **kw: Any) -> dict[str, Any]:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self._enter("UploadPart", kw)
            body = bytes(kw["Body"])
            self.uploads[kw["UploadId"]]["parts"][kw["PartNumber"]] = body
            threading.Event().wait(0.002)
            return {"ETag": f'"{hashlib.md5(body).hexdigest()}"', "ChecksumCRC32": "AAAAAA=="}
        finally:
            with self._lock:
                self.in_flight -= 1

    def complete_multipart_upload(self, **kw: Any) -> dict[str, Any]:
        self._enter("CompleteMultipartUpload", kw)
        upload = self.uploads.pop(kw["UploadId"])
        numbers = [p["PartNumber"] for p in kw["MultipartUpload"]["Parts"]]
        assert numbers == sorted(upload["parts"]), "parts must be listed in order, all of them"
        body = b"".join(upload["parts"][n] for n in numbers)
        self.objects[upload["key"]] = (body, upload["metadata"])
        return {"ETag": '"multi-etag"'}

    def abort_multipart_upload(self, **kw: Any) -> dict[str, Any]:
        self._enter("AbortMultipartUpload", kw)
        self.uploads.pop(kw["UploadId"], None)
        return {}

    def get_object(self, **kw: Any) -> dict[str, Any]:
        self._enter("GetObject", kw)
        found = self.objects.get((kw["Bucket"], kw["Key"]))
        if found is None:
            raise client_error("NoSuchKey", 404, "GetObject")
        body, metadata = found
        etag = f'"{hashlib.md5(body).hexdigest()}"'
        if "IfMatch" in kw and kw["IfMatch"] != etag:
            raise client_error("PreconditionFailed", 412, "GetObject")
        resp: dict[str, Any] = {"ETag": etag, "Metadata": metadata, "ContentLength": len(body)}
        if "Range" in kw:
            m = re.fullmatch(r"bytes=(\d+)-(\d+)", kw["Range"])
            assert m
            start, end = int(m.group(1)), int(m.group(2))
            if start >= len(body):
                raise client_error("InvalidRange", 416, "GetObject")
            body = body[start : end + 1]
            resp["ContentRange"] = f"bytes {start}-{start + len(body) - 1}/{resp['ContentLength']}"
            resp["ContentLength"] = len(body)
        resp["Body"] = io.BytesIO(body)
        return resp

    def delete_object(self, **kw: Any) -> dict[str, Any]:
        self._enter("DeleteObject", kw)
        self.objects.pop((kw["Bucket"], kw["Key"]), None)
        return {"ResponseMetadata": {"HTTPStatusCode": 204}}


class FakeSQS:
    """A queue per URL; receive hands out every pending message."""

    def __init__(self, region: str = "eu-west-1"):
        self.meta = SimpleNamespace(region_name=region, service_model=SimpleNamespace(service_name="sqs"))
        self.sent: list[dict[str, Any]] = []
        self.deleted: list[dict[str, Any]] = []
        self.errors: dict[str, list[Exception]] = {}
        self._ids = itertools.count(1)

    def send_message(self, **kw: Any) -> dict[str, Any]:
        pending = self.errors.get("SendMessage")
        if pending:
            raise pending.pop(0)
        self.sent.append(kw)
        return {"MessageId": f"m{next(self._ids)}"}

    def receive_message(self, **kw: Any) -> dict[str, Any]:
        out = []
        for i, sent in enumerate(self.sent):
            out.append(
                {
                    "MessageId": f"r{i}",
                    "ReceiptHandle": f"handle-{i}",
                    "Body": sent["MessageBody"],
                    "MessageAttributes": sent.get("MessageAttributes", {}),
                    "Attributes": {"SentTimestamp": "1700000000000", "ApproximateFirstReceiveTimestamp": "1700000000005",
                                   "ApproximateReceiveCount": "1"},
                }
            )
        self.sent = []
        return {"Messages": out}

    def delete_message(self, **kw: Any) -> dict[str, Any]:
        self.deleted.append(kw)
        return {}


class FakeSNS:
    def __init__(self, region: str = "us-east-1"):
        self.meta = SimpleNamespace(region_name=region, service_model=SimpleNamespace(service_name="sns"))
        self.published: list[dict[str, Any]] = []

    def publish(self, **kw: Any) -> dict[str, Any]:
        self.published.append(kw)
        return {"MessageId": f"p{len(self.published)}"}
