"""Validate and normalise one ingest record (an already JSON-decoded Python object).

``validate_record`` raises only ``RecordError`` for any JSON-decodable input; each message
names the offending field and says what was expected.
"""

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

RECORD_MAX_BYTES = 1_000_000
CLIENT_ID_MAX_CHARS = 200
URL_MAX_CHARS = 8192
ACCOUNT_ID_MAX_CHARS = 200
METHOD_MAX_CHARS = 16
NESTING_MAX_LEVELS = 64
PREVIEW_MAX_CHARS = 60
DEFAULT_METHOD = "GET"

# The range orjson can encode; anything wider could not be re-serialised for storage.
INT_MIN = -(2**63)
INT_MAX = 2**64 - 1

FIELDS = frozenset(
    {"account_id", "body", "duration_ms", "headers", "id", "method", "occurred_at", "status", "url"}
)
_METHOD = re.compile(rf"[A-Za-z]{{1,{METHOD_MAX_CHARS}}}")
_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


class RecordError(ValueError):
    """A record is not acceptable; the message names the field and what was expected."""


@dataclass(frozen=True, slots=True)
class Record:
    """One validated response envelope, normalised (method upper-cased, time in UTC)."""

    status: int
    body: object
    url: str
    method: str = DEFAULT_METHOD
    occurred_at: datetime | None = None
    duration_ms: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    account_id: str | None = None
    client_id: str | None = None


def _json_type(value: object) -> str:
    """Name the JSON type of a decoded value, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    names = {str: "string", list: "array", dict: "object"}
    return names.get(type(value), type(value).__name__)


def _preview(value: object) -> str:
    """A short, escaped rendering of user input for error messages."""
    text = repr(value)
    if len(text) <= PREVIEW_MAX_CHARS:
        return text
    return text[: PREVIEW_MAX_CHARS - 3] + "..."


def _child_path(path: str, key: object) -> str:
    """Extend a dotted path with a dict key or a list index."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if isinstance(key, str) and _SIMPLE_KEY.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{_preview(key)}]"


# --- whole-record checks: every value must be storable -------------------------------------


def _check_string(text: str, path: str) -> None:
    """Reject strings PostgreSQL text/jsonb cannot hold."""
    if "\x00" in text:
        raise RecordError(f"{path} contains a NUL character (\\u0000), which cannot be stored")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RecordError(
            f"{path} contains an unpaired surrogate ({_preview(text[exc.start])}), "
            "which cannot be stored"
        ) from None


def _check_scalar(value: object, path: str) -> None:
    """Reject scalars that cannot be stored or re-serialised as JSON."""
    if isinstance(value, str):
        _check_string(value, path)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
        raise RecordError(f"{path} is an integer outside the 64-bit range, which cannot be stored")
    elif isinstance(value, float) and not math.isfinite(value):
        raise RecordError(f"{path} is {value!r}; only finite numbers can be stored")


def _children(value: dict | list, path: str) -> list[tuple[object, str]]:
    """Return (child, child path) pairs, checking dict keys on the way."""
    if isinstance(value, list):
        return [(item, _child_path(path, index)) for index, item in enumerate(value)]
    pairs = []
    for key, item in value.items():
        if not isinstance(key, str):
            raise RecordError(f"{path} has a non-string key {_preview(key)}")
        if "\x00" in key:
            raise RecordError(
                f"{path} has a key {_preview(key)} that contains a NUL character (\\u0000), "
                "which cannot be stored"
            )
        _check_string(key, f"{path} key {_preview(key)}")
        pairs.append((item, _child_path(path, key)))
    return pairs


def _check_storable(name: str, value: object) -> None:
    """Walk one top-level field iteratively, so deep nesting cannot exhaust the stack."""
    stack: list[tuple[object, str, int]] = [(value, name, 1)]
    while stack:
        current, path, level = stack.pop()
        if not isinstance(current, dict | list):
            _check_scalar(current, path)
            continue
        if level > NESTING_MAX_LEVELS:
            raise RecordError(
                f"{name} is nested too deeply (more than {NESTING_MAX_LEVELS} levels)"
            )
        # Reversed so errors are reported in document order.
        children = _children(current, path)
        stack.extend((child, child_path, level + 1) for child, child_path in reversed(children))


# --- per-field rules -----------------------------------------------------------------------


def _status(raw: dict) -> int:
    if "status" not in raw:
        raise RecordError("status is required (the HTTP status code of the response)")
    status = raw["status"]
    if isinstance(status, bool) or not isinstance(status, int):
        raise RecordError(f"status must be an integer HTTP status, got {_json_type(status)}")
    if not 100 <= status <= 599:
        raise RecordError(f"status must be between 100 and 599, got {status}")
    return status


def _body(raw: dict) -> object:
    if "body" not in raw:
        raise RecordError("body is required (use null when the response had no body)")
    body = raw["body"]
    if body is not None and not isinstance(body, dict | list | str):
        raise RecordError(f"body must be an object, array, string or null, got {_json_type(body)}")
    return body


def _is_acceptable_url(url: str) -> bool:
    """True for a path starting with "/" or an absolute http(s) URL with a host."""
    if url.startswith("/"):
        return True
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.lower() not in ("http", "https"):
        return False
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    host_and_port = authority.rpartition("@")[2]
    host = host_and_port if host_and_port.startswith("[") else host_and_port.partition(":")[0]
    return bool(host)


def _url(raw: dict) -> str:
    if "url" not in raw:
        raise RecordError("url is required (the request URL or its path)")
    url = raw["url"]
    if not isinstance(url, str):
        raise RecordError(f"url must be a string, got {_json_type(url)}")
    if not url:
        raise RecordError("url must not be empty")
    if len(url) > URL_MAX_CHARS:
        raise RecordError(f"url is {len(url)} characters; the limit is {URL_MAX_CHARS}")
    if not _is_acceptable_url(url):
        raise RecordError(
            "url must be an absolute http(s) URL with a host or a path starting with '/', "
            f"got {_preview(url)}"
        )
    return url


def _optional_string(raw: dict, name: str) -> str | None:
    """Return a field that may be absent, null or a string."""
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        raise RecordError(f"{name} must be a string or null, got {_json_type(value)}")
    return value


def _method(raw: dict) -> str:
    method = _optional_string(raw, "method")
    if method is None:
        return DEFAULT_METHOD
    if not _METHOD.fullmatch(method):
        raise RecordError(
            f"method must be 1 to {METHOD_MAX_CHARS} ASCII letters (e.g. GET), "
            f"got {_preview(method)}"
        )
    return method.upper()


def _occurred_at(raw: dict) -> datetime | None:
    text = _optional_string(raw, "occurred_at")
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise RecordError(
            "occurred_at must be an ISO-8601 date-time such as 2024-05-01T12:00:00Z, "
            f"got {_preview(text)}"
        ) from None
    if parsed.utcoffset() is None:
        raise RecordError("occurred_at must include a timezone (Z or +HH:MM)")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise RecordError(
            f"occurred_at is out of range once converted to UTC: {_preview(text)}"
        ) from None


def _duration_ms(raw: dict) -> float | None:
    value = raw.get("duration_ms")
    if value is None:
        return None
    expected = "duration_ms must be a finite number of milliseconds >= 0"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(f"{expected}, got {_json_type(value)}")
    try:
        duration = float(value)
    except OverflowError:
        raise RecordError(f"{expected}, got {_preview(value)}") from None
    if not math.isfinite(duration) or duration < 0:
        raise RecordError(f"{expected}, got {_preview(value)}")
    return duration


def _headers(raw: dict) -> dict[str, str]:
    headers = raw.get("headers")
    if headers is None:
        return {}
    if not isinstance(headers, dict):
        raise RecordError(
            f"headers must be an object of header name to string value, got {_json_type(headers)}"
        )
    for name, value in headers.items():
        if not isinstance(value, str):
            path = _child_path("headers", name)
            raise RecordError(f"{path} must be a string, got {_json_type(value)}")
    return dict(headers)


def _account_id(raw: dict) -> str | None:
    account_id = _optional_string(raw, "account_id")
    if account_id is not None and len(account_id) > ACCOUNT_ID_MAX_CHARS:
        raise RecordError(
            f"account_id is {len(account_id)} characters; the limit is {ACCOUNT_ID_MAX_CHARS}"
        )
    return account_id or None


def _client_id(raw: dict) -> str | None:
    client_id = _optional_string(raw, "id")
    if client_id is not None and not 1 <= len(client_id) <= CLIENT_ID_MAX_CHARS:
        raise RecordError(f"id must be 1 to {CLIENT_ID_MAX_CHARS} characters, got {len(client_id)}")
    return client_id


def _reject_unknown_fields(raw: dict) -> None:
    for key in raw:
        if key not in FIELDS:
            raise RecordError(
                f"unknown field {_preview(key)}; expected one of: {', '.join(sorted(FIELDS))}"
            )


def validate_record(raw: object) -> Record:
    """Validate one decoded ingest record and return it normalised.

    Raises RecordError (and nothing else) naming the first offending field.
    """
    if not isinstance(raw, dict):
        raise RecordError(f"record must be a JSON object, got {_json_type(raw)}")
    _reject_unknown_fields(raw)
    for name, value in raw.items():
        _check_storable(name, value)
    return Record(
        status=_status(raw),
        body=_body(raw),
        url=_url(raw),
        method=_method(raw),
        occurred_at=_occurred_at(raw),
        duration_ms=_duration_ms(raw),
        headers=_headers(raw),
        account_id=_account_id(raw),
        client_id=_client_id(raw),
    )


def check_record_size(raw: object) -> None:
    """Raise RecordError when the record, serialised as compact JSON, exceeds RECORD_MAX_BYTES."""
    try:
        size = len(orjson.dumps(raw))
    except TypeError as exc:  # orjson.JSONEncodeError is a TypeError
        raise RecordError(f"record cannot be encoded as JSON: {exc}") from None
    if size > RECORD_MAX_BYTES:
        raise RecordError(f"record is {size} bytes; the limit is {RECORD_MAX_BYTES}")
