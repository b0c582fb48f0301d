"""Errors as one readable line for a scenario's ``failures``.

A report line must say what went wrong without the request that failed: botocore's network errors
carry the full request URL (an S3 part upload's query string holds its upload id), and the retry
layer repeats that URL in its own message. Here an unreachable endpoint becomes
``endpoint unreachable: cannot reach http://host:port (operation, error, attempts)``, and any other
error loses URL query strings and line breaks and is bounded in length.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from botocore import exceptions as bce

MAX_CHARS = 500

# "Nothing answers there": the same set harness.retry turns into ServiceUnavailableError.
_UNREACHABLE: dict[type[BaseException], str] = {
    bce.EndpointConnectionError: "connection refused",
    bce.ConnectionClosedError: "connection closed",
    bce.ConnectTimeoutError: "connect timeout",
    bce.ReadTimeoutError: "read timeout",
    bce.ProxyConnectionError: "proxy unreachable",
}
# harness.retry.call's message: "<operation>: <url> is unreachable (...) after N attempt(s) over Xs. ..."
_RETRIED = re.compile(r"^(?P<op>[A-Za-z0-9_.-]+): .*? after (?P<n>\d+) attempt\(s\) over (?P<s>[\d.]+)s")
_URL = re.compile(r"\b(?P<base>https?://[^\s\"'?#<>]+)(?:[?#][^\s\"'<>]*)?")


def one_line(exc: BaseException) -> str:
    """``exc`` as one line of at most :data:`MAX_CHARS` characters, without URL query strings."""
    cause = _network_cause(exc)
    if cause is not None:
        return _unreachable(exc, cause)
    return clean(str(exc) or type(exc).__name__)


def clean(text: str) -> str:
    """One line: URLs without query string or fragment, whitespace collapsed, length bounded."""
    text = " ".join(_URL.sub(lambda m: m.group("base"), text).split())
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL (the URL itself, cleaned, if it has no host)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else clean(url)


def _network_cause(exc: BaseException) -> BaseException | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, tuple(_UNREACHABLE)):
            return current
        current = current.__cause__  # explicit chaining only: `raise ... from exc`
    return None


def _unreachable(exc: BaseException, cause: BaseException) -> str:
    kwargs = getattr(cause, "kwargs", {}) or {}
    url = str(kwargs.get("endpoint_url") or kwargs.get("url") or "")
    where = origin(url) if url else "the endpoint"
    what = next((words for kind, words in _UNREACHABLE.items() if isinstance(cause, kind)), type(cause).__name__)
    details = [what]
    retried = _RETRIED.match(str(exc))
    if retried:
        details = [retried["op"], what, f"{retried['n']} attempt(s) over {retried['s']}s"]
    return clean(
        f"endpoint unreachable: cannot reach {where} ({', '.join(details)}); check that LocalStack is running "
        "(`harness emulator status`) or that the endpoint URL / network route to AWS is right"
    )
