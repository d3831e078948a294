"""Build one ingest record from the parts of an HTTP response, in two halves.

``CapturedResponse(...)`` is the caller's half, kept cheap: it removes credentials at once,
so they are never queued and never leave the process (the values of Authorization, Cookie,
Set-Cookie and Proxy-Authorization headers and of ``oauth_*`` query parameters become
``[redacted]``, by the server's own rules), and keeps at most what can be sent of the body.
``to_record()`` is the shipper thread's half: it decodes the body, redacts ``oauth_*`` keys
in the API's ``request.params`` echo and formats the time. ``make_record`` does both.
"""

import math
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from ingest.client.bodies import bounded_head, decode_body
from ingest.redact import (
    REDACTED,
    SECRET_HEADERS,
    redact_headers,
    redact_params,
    redact_url,
)


class CapturedResponse:
    """One response as captured on the caller's thread: redacted, body not yet decoded.

    ``occurred_at`` is a datetime (naive means UTC) or epoch seconds; default: now.
    """

    __slots__ = (
        "body",
        "body_size",
        "content_type",
        "elapsed_seconds",
        "headers",
        "method",
        "occurred_at",
        "status",
        "url",
    )

    def __init__(
        self,
        method: str,
        url: str,
        status: int,
        headers: Mapping[str, str] | None,
        body: bytes | str | None,
        content_type: str | None = None,
        elapsed_seconds: float | None = None,
        occurred_at: datetime | float | None = None,
    ) -> None:
        self.method = str(method).upper()
        self.url = _redacted_url(str(url))
        self.status = int(status)
        self.headers = _redacted_headers(headers)
        self.body, self.body_size = bounded_head(body)
        self.content_type = content_type
        self.elapsed_seconds = elapsed_seconds
        self.occurred_at = time.time() if occurred_at is None else occurred_at

    def to_record(self) -> dict:
        """The ingest record: body decoded and its parameter echo redacted, time formatted."""
        return {
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "headers": self.headers,
            "body": _redact_echo(decode_body(self.body, self.content_type, self.body_size)),
            "occurred_at": format_time(self.occurred_at),
            "duration_ms": _duration_ms(self.elapsed_seconds),
        }


def make_record(
    method: str,
    url: str,
    status: int,
    headers: Mapping[str, str] | None,
    body: bytes | str | None,
    content_type: str | None = None,
    elapsed_seconds: float | None = None,
    occurred_at: datetime | float | None = None,
) -> dict:
    """Return the ingest record of one response, credentials redacted.

    ``body`` is the response body as bytes or text (None when it was not read); a JSON body
    becomes an object or array, anything else stays text (see ``bodies.decode_body``).
    """
    parts = CapturedResponse(
        method, url, status, headers, body, content_type, elapsed_seconds, occurred_at
    )
    return parts.to_record()


def redact_record(record: Mapping) -> dict:
    """A copy of a hand-made ingest record with its credentials redacted (url, headers and
    the ``request.params`` echo); fields of the wrong type are left for the server to judge."""
    redacted = dict(record)
    if isinstance(redacted.get("url"), str):
        redacted["url"] = redact_url(redacted["url"])
    if isinstance(redacted.get("headers"), Mapping):
        redacted["headers"] = redact_headers(redacted["headers"])
    if "body" in redacted:
        redacted["body"] = _redact_echo(redacted["body"])
    return redacted


def _redacted_url(url: str) -> str:
    """redact_url, skipped for a URL that cannot hold a secret: without "@" there is no
    userinfo, and without "%" or "oauth_" no parameter name can start with oauth_."""
    if "@" in url or "%" in url or "oauth_" in url.lower():
        return redact_url(url)
    return url


def _redacted_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """redact_headers, with a fast path for requests' CaseInsensitiveDict: its
    ``lower_items()`` are (lower-case name, value) pairs, cheaper than its generic items()."""
    lower_items = getattr(headers, "lower_items", None)
    if lower_items is None:
        return redact_headers(headers or {})
    return {name: REDACTED if name in SECRET_HEADERS else value for name, value in lower_items()}


def _redact_echo(body: object) -> object:
    """A copy of the body with ``oauth_*`` values of ``request.params`` redacted."""
    request = body.get("request") if isinstance(body, dict) else None
    params = request.get("params") if isinstance(request, dict) else None
    if not isinstance(params, dict):
        return body
    return {**body, "request": {**request, "params": redact_params(params)}}


def format_time(moment: datetime | float | None = None) -> str:
    """ISO-8601 in UTC with a Z, e.g. ``2026-11-20T05:00:00.123Z`` (now when None).

    A naive datetime is taken as UTC; a number is epoch seconds.
    """
    if moment is None or isinstance(moment, int | float):
        moment = datetime.fromtimestamp(time.time() if moment is None else moment, UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    else:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds")[: -len("+00:00")] + "Z"


def _duration_ms(elapsed_seconds: float | None) -> float | None:
    """Milliseconds, or None when the time is unknown or not a sensible duration."""
    if elapsed_seconds is None or not math.isfinite(elapsed_seconds) or elapsed_seconds < 0:
        return None
    return round(elapsed_seconds * 1000, 3)
