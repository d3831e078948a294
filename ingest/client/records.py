"""Build one ingest record from the parts of an HTTP response: redacted and size-bounded.

Credentials are removed here, before the record is queued, so they never leave the process:
the values of Authorization, Cookie, Set-Cookie and Proxy-Authorization headers, of
``oauth_*`` query parameters and of ``oauth_*`` keys in the API's ``request.params`` echo
become ``[redacted]`` (the server's own rules, reused).
"""

import math
from collections.abc import Mapping
from datetime import UTC, datetime

from ingest.client import codec
from ingest.redact import redact_headers, redact_params, redact_url

# The server refuses records over 1 MB; a body is kept under this many bytes of JSON.
BODY_MAX_BYTES = 900_000
TRUNCATION_MARKER = "\n[truncated by the capture client: the body had {total} bytes]"
BINARY_PLACEHOLDER = "[binary body not captured: {size} bytes of {media_type}]"
# A JSON string escape is at most 6 bytes per character, so shorter texts always fit.
_ALWAYS_FITS_CHARS = BODY_MAX_BYTES // 6
_TEXT_MEDIA_MARKERS = ("text/", "json", "xml", "javascript", "html", "x-www-form-urlencoded")
_DEFAULT_CHARSET = "utf-8"


def make_record(
    method: str,
    url: str,
    status: int,
    headers: Mapping[str, str] | None,
    body: bytes | str | None,
    content_type: str | None = None,
    elapsed_seconds: float | None = None,
    occurred_at: datetime | None = None,
) -> dict:
    """Return the ingest record of one response, credentials redacted.

    ``body`` is the response body as bytes or text (None when it was not read); a JSON body
    becomes an object or array, anything else stays text. ``occurred_at`` defaults to now; a
    naive datetime is taken as UTC.
    """
    return {
        "method": str(method).upper(),
        "url": redact_url(str(url)),
        "status": int(status),
        "headers": redact_headers(headers or {}),
        "body": _redact_echo(decode_body(body, content_type)),
        "occurred_at": format_time(occurred_at),
        "duration_ms": _duration_ms(elapsed_seconds),
    }


def _redact_echo(body: object) -> object:
    """A copy of the body with ``oauth_*`` values of ``request.params`` redacted."""
    request = body.get("request") if isinstance(body, dict) else None
    params = request.get("params") if isinstance(request, dict) else None
    if not isinstance(params, dict):
        return body
    return {**body, "request": {**request, "params": redact_params(params)}}


def format_time(moment: datetime | None = None) -> str:
    """ISO-8601 in UTC with a Z, e.g. ``2026-11-20T05:00:00.123Z`` (now when None)."""
    moment = datetime.now(UTC) if moment is None else moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _duration_ms(elapsed_seconds: float | None) -> float | None:
    """Milliseconds, or None when the time is unknown or not a sensible duration."""
    if elapsed_seconds is None or not math.isfinite(elapsed_seconds) or elapsed_seconds < 0:
        return None
    return round(elapsed_seconds * 1000, 3)


def decode_body(body: bytes | str | None, content_type: str | None = None) -> object:
    """The body as the ingest contract wants it: a JSON object or array, a string, or None.

    JSON is decoded when the content type says so or the text starts like an object or
    array. Binary media types are replaced by a short placeholder; texts are cut, with a
    marker, so that the body stays within BODY_MAX_BYTES once encoded.
    """
    if body is None:
        return None
    media_type, charset = _parse_content_type(content_type)
    if isinstance(body, str):
        return _json_or_text(body, media_type, None)
    data = bytes(body)
    if not _is_text(media_type):
        return BINARY_PLACEHOLDER.format(size=len(data), media_type=media_type)
    if len(data) > BODY_MAX_BYTES:
        return _bounded_text(_decode(data[:BODY_MAX_BYTES], charset), len(data))
    return _json_or_text(data, media_type, charset)


def _json_or_text(data: bytes | str, media_type: str, charset: str | None) -> object:
    """Decoded JSON when the body is a JSON object or array, else the bounded text."""
    if len(data) <= BODY_MAX_BYTES and _may_be_json(data, media_type):
        parsed = _parse_json(data)
        if parsed is not None:
            return parsed
    text = data if isinstance(data, str) else _decode(data, charset or _DEFAULT_CHARSET)
    return _bounded_text(text, None)


def _parse_content_type(content_type: str | None) -> tuple[str, str]:
    """The lower-case media type and the charset (UTF-8 unless one is given)."""
    if not content_type:
        return "", _DEFAULT_CHARSET
    media_type, _, parameters = str(content_type).partition(";")
    charset = _DEFAULT_CHARSET
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip(' "'):
            charset = value.strip(' "')
    return media_type.strip().lower(), charset


def _is_text(media_type: str) -> bool:
    """True for an unknown media type and for the textual ones."""
    return not media_type or any(marker in media_type for marker in _TEXT_MEDIA_MARKERS)


def _may_be_json(data: bytes | str, media_type: str) -> bool:
    """True when the media type says JSON or the body starts like an object or array."""
    if "json" in media_type:
        return True
    start = data[:64].lstrip()[:1]
    return start in ("{", "[", b"{", b"[")


def _parse_json(data: bytes | str) -> dict | list | None:
    """The decoded object or array, or None when the body is not one."""
    try:
        parsed = codec.loads(data)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict | list) else None


def _decode(data: bytes, charset: str) -> str:
    """Decode with the declared charset (UTF-8 when unknown); bad bytes become U+FFFD."""
    try:
        return data.decode(charset, "replace")
    except LookupError:
        return data.decode(_DEFAULT_CHARSET, "replace")


def _bounded_text(text: str, total_bytes: int | None) -> str:
    """The text, NUL-free (the database cannot store NUL) and within BODY_MAX_BYTES as JSON.

    ``total_bytes`` is the size of the original body when ``text`` is only its beginning.
    """
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if total_bytes is None and len(text) <= _ALWAYS_FITS_CHARS:
        return text
    encoded_size = len(codec.dumps(text))
    if total_bytes is None and encoded_size <= BODY_MAX_BYTES:
        return text
    if total_bytes is None:
        total_bytes = len(text.encode("utf-8", "replace"))
    return _truncate(text, encoded_size, total_bytes)


def _truncate(text: str, encoded_size: int, total_bytes: int) -> str:
    """Cut the text so that it and the truncation marker fit in BODY_MAX_BYTES as JSON."""
    marker = TRUNCATION_MARKER.format(total=total_bytes)
    budget = BODY_MAX_BYTES - len(codec.dumps(marker))
    while encoded_size > budget:
        text = text[: len(text) * budget // encoded_size]
        encoded_size = len(codec.dumps(text))
    return text + marker
