"""Validate and normalise one ingest record (an already JSON-decoded Python object).

``validate_record`` raises only ``RecordError`` for any JSON-decodable input; each message
names the offending field and says what was expected.
"""

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

import orjson
from msgspec import UNSET

from ingest.body import BodyParts

RECORD_MAX_BYTES = 1_000_000
STATUS_MIN = 100
STATUS_MAX = 599
CLIENT_ID_MAX_CHARS = 200
URL_MAX_CHARS = 8192
ACCOUNT_ID_MAX_CHARS = 200
METHOD_MAX_CHARS = 16
# orjson serialises at most 254 nested containers; a batch and a record take two of them.
# So a record within this limit can always be stored, and a batch orjson can serialise as a
# whole holds no record beyond it (which lets `ingest.intake` skip the walk).
NESTING_MAX_LEVELS = 252
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
_AUTHORITY = re.compile(r"[^/?#]*")
# An http(s) URL whose authority has no "@" and starts with an ASCII letter or digit: its host
# is not empty, so the URL is acceptable without being taken apart (the common case).
_PLAIN_HTTP_URL = re.compile(r"https?://[A-Za-z0-9][^/?#@]*(?:[/?#]|\Z)")
# Built once: an isinstance check builds a `X | Y` union each time it is written inline.
_NUMBER = int | float
_CONTAINER = dict | list
_BODY = dict | list | str | BodyParts


class RecordError(ValueError):
    """A record is not acceptable; the message names the field and what was expected."""


# Not frozen, but never changed once built: one is built per record on the ingest hot path,
# where a frozen dataclass costs three times as much to build.
@dataclass(slots=True)
class Record:
    """One validated response envelope, normalised (method upper-cased, time in UTC)."""

    status: int
    body: object  # as decoded; or a BodyParts, read from the JSON text by `ingest.wire`
    url: str
    method: str = DEFAULT_METHOD
    occurred_at: datetime | None = None
    duration_ms: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    account_id: str | None = None
    client_id: str | None = None


def _json_type(value: object) -> str:
    """Name the JSON type of a decoded value, for error messages."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, _NUMBER):
        return "number"
    names = {type(None): "null", str: "string", list: "array", dict: "object"}
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

# Where a value sits: (parent location, key or index); a top-level field is (None, name).
# Paths are only rendered for error messages, keeping the walk cheap on large bodies.
Location = tuple["Location | None", str | int]


def _path(location: Location) -> str:
    """Render a location as ``body.errors[0].message``."""
    keys: list[str | int] = []
    current: Location | None = location
    while current is not None:
        current, key = current
        keys.append(key)
    path = str(keys.pop())
    while keys:
        path = _child_path(path, keys.pop())
    return path


def _string_problem(text: str) -> str | None:
    """Why PostgreSQL text/json could not hold this string, or None."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which cannot be stored"
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"contains an unpaired surrogate ({text[exc.start]!r}), which cannot be stored"
    return None


def _scalar_problem(value: object) -> str | None:
    """Why a scalar could not be stored or re-serialised as JSON, or None."""
    if isinstance(value, str):
        return _string_problem(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
        return "is an integer outside the 64-bit range, which cannot be stored"
    if isinstance(value, float) and not math.isfinite(value):
        return f"is {value!r}; only finite numbers can be stored"
    return None


def _is_plain_ascii(value: object) -> bool:
    """Fast path for the common case: a NUL-free ASCII string needs no further checks."""
    return type(value) is str and value.isascii() and "\x00" not in value


def _check_storable(name: str, value: object) -> None:
    """Walk one top-level field iteratively, so deep nesting cannot exhaust the stack.

    Scalars are checked as their container is visited; only containers go on the stack.
    """
    if not isinstance(value, _CONTAINER):
        problem = _scalar_problem(value)
        if problem:
            raise RecordError(f"{name} {problem}")
        return
    stack: list[tuple[dict | list, Location, int]] = [(value, (None, name), 1)]
    while stack:
        container, location, level = stack.pop()
        if level > NESTING_MAX_LEVELS:
            raise RecordError(
                f"{name} is nested too deeply (more than {NESTING_MAX_LEVELS} levels)"
            )
        is_dict = isinstance(container, dict)
        nested = []
        for key, item in container.items() if is_dict else enumerate(container):
            if is_dict and not _is_plain_ascii(key):
                problem = _string_problem(key) if isinstance(key, str) else "is not a string"
                if problem:
                    raise RecordError(f"{_path(location)} key {_preview(key)} {problem}")
            if isinstance(item, _CONTAINER):
                nested.append((item, (location, key), level + 1))
            elif not _is_plain_ascii(item) and (problem := _scalar_problem(item)):
                raise RecordError(f"{_path((location, key))} {problem}")
        # Reversed so that nested containers are visited in document order.
        stack.extend(reversed(nested))


# --- per-field rules: each takes the field's value, UNSET when the field is absent ----------


def _required(value: object, name: str, meaning: str) -> object:
    """Return a required field's value, or explain what the missing field is for."""
    if value is UNSET:
        raise RecordError(f"{name} is required ({meaning})")
    return value


def _status(value: object) -> int:
    status = _required(value, "status", "the HTTP status code of the response")
    if isinstance(status, bool) or not isinstance(status, int):
        raise RecordError(f"status must be an integer HTTP status, got {_json_type(status)}")
    if not STATUS_MIN <= status <= STATUS_MAX:
        raise RecordError(f"status must be between {STATUS_MIN} and {STATUS_MAX}, got {status}")
    return status


def _body(value: object) -> object:
    body = _required(value, "body", "use null when the response had no body")
    if body is not None and not isinstance(body, _BODY):
        raise RecordError(f"body must be an object, array, string or null, got {_json_type(body)}")
    return body


def _is_acceptable_url(url: str) -> bool:
    """True for a path starting with "/" or an absolute http(s) URL with a host."""
    return url.startswith("/") or _PLAIN_HTTP_URL.match(url) is not None or _has_http_host(url)


def _has_http_host(url: str) -> bool:
    """True for an absolute http(s) URL with a host (the scheme in any case)."""
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.lower() not in ("http", "https"):
        return False
    authority = _AUTHORITY.match(rest).group()
    host_and_port = authority.rpartition("@")[2]
    host = host_and_port if host_and_port.startswith("[") else host_and_port.partition(":")[0]
    return bool(host)


def _url(value: object) -> str:
    url = _required(value, "url", "the request URL or its path")
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


def _optional_string(value: object, name: str) -> str | None:
    """Return a field that may be absent, null or a string."""
    if value is None or value is UNSET:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{name} must be a string or null, got {_json_type(value)}")
    return value


def _method(value: object) -> str:
    method = _optional_string(value, "method")
    if method is None:
        return DEFAULT_METHOD
    if not _METHOD.fullmatch(method):
        raise RecordError(
            f"method must be 1 to {METHOD_MAX_CHARS} ASCII letters (e.g. GET), "
            f"got {_preview(method)}"
        )
    return method.upper()


def _occurred_at(value: object) -> datetime | None:
    text = _optional_string(value, "occurred_at")
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


def _duration_ms(value: object) -> float | None:
    if value is None or value is UNSET:
        return None
    expected = "duration_ms must be a finite number of milliseconds >= 0"
    if isinstance(value, bool) or not isinstance(value, _NUMBER):
        raise RecordError(f"{expected}, got {_json_type(value)}")
    # Infinite floats and ints too large for a float were already refused by _check_storable.
    if value < 0:
        raise RecordError(f"{expected}, got {_preview(value)}")
    return float(value)


def _headers(value: object) -> dict[str, str]:
    if value is None or value is UNSET:
        return {}
    if not isinstance(value, dict):
        raise RecordError(
            f"headers must be an object of header name to string value, got {_json_type(value)}"
        )
    for name, header in value.items():
        if not isinstance(header, str):
            path = _child_path("headers", name)
            raise RecordError(f"{path} must be a string, got {_json_type(header)}")
    return dict(value)


def _account_id(value: object) -> str | None:
    account_id = _optional_string(value, "account_id")
    if account_id is not None and len(account_id) > ACCOUNT_ID_MAX_CHARS:
        raise RecordError(
            f"account_id is {len(account_id)} characters; the limit is {ACCOUNT_ID_MAX_CHARS}"
        )
    return account_id or None


def _client_id(value: object) -> str | None:
    client_id = _optional_string(value, "id")
    if client_id is not None and not 1 <= len(client_id) <= CLIENT_ID_MAX_CHARS:
        raise RecordError(f"id must be 1 to {CLIENT_ID_MAX_CHARS} characters, got {len(client_id)}")
    return client_id


def _reject_unknown_fields(raw: dict) -> None:
    for key in raw:
        if key not in FIELDS:
            raise RecordError(
                f"unknown field {_preview(key)}; expected one of: {', '.join(sorted(FIELDS))}"
            )


def record_from_fields(
    status: object,
    body: object,
    url: object,
    method: object = UNSET,
    occurred_at: object = UNSET,
    duration_ms: object = UNSET,
    headers: object = UNSET,
    account_id: object = UNSET,
    client_id: object = UNSET,
) -> Record:
    """Apply every field rule, in this order, to a record's values (UNSET: the field is
    absent); return the record normalised or raise RecordError for the first bad field.

    The values must be storable (see `_check_storable`); `body` may also be a BodyParts, a
    body already read from its JSON text (see `ingest.wire`)."""
    return Record(
        status=_status(status),
        body=_body(body),
        url=_url(url),
        method=_method(method),
        occurred_at=_occurred_at(occurred_at),
        duration_ms=_duration_ms(duration_ms),
        headers=_headers(headers),
        account_id=_account_id(account_id),
        client_id=_client_id(client_id),
    )


def record_from_checked_fields(
    status: int,
    body: object,
    url: str,
    method: str | None,
    occurred_at: str | None,
    duration_ms: float | None,
    headers: dict[str, str] | None,
    account_id: str | None,
    client_id: str | None,
) -> Record:
    """`record_from_fields` for values already of the types, within the ranges and of the
    lengths the rules ask for (msgspec checks these while decoding, see `ingest.wire`), a
    field absent as None: only the other rules are applied. RecordError when one fails; its
    message need not be the first one `record_from_fields` would give."""
    if not _is_acceptable_url(url):
        raise RecordError("url must be an absolute http(s) URL with a host or a path")
    return Record(
        status=status,
        body=body,
        url=url,
        method=_normal_method(method),
        occurred_at=_checked_occurred_at(occurred_at),
        duration_ms=duration_ms,
        headers={} if headers is None else headers,
        account_id=account_id or None,
        client_id=client_id,
    )


# Few methods are ever sent; the bound keeps odd ones from filling memory.
@lru_cache(maxsize=64)
def _normal_method(method: str | None) -> str:
    return _method(method)


def _checked_occurred_at(text: str | None) -> datetime | None:
    """`_occurred_at` of a string or None, sooner for the common time in UTC."""
    if text is not None:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is UTC:
            return moment
    return _occurred_at(text)


def validate_record(raw: object, check_storable: bool = True) -> Record:
    """Validate one decoded ingest record and return it normalised.

    Raises RecordError (and nothing else) naming the first offending field.
    `check_storable=False` skips the walk over every value, for callers that know the
    record holds no NUL and is not nested too deeply (see `ingest.intake`).
    """
    if not isinstance(raw, dict):
        raise RecordError(f"record must be a JSON object, got {_json_type(raw)}")
    _reject_unknown_fields(raw)
    if check_storable:
        for name, value in raw.items():
            _check_storable(name, value)
    get = raw.get
    return record_from_fields(
        status=get("status", UNSET),
        body=get("body", UNSET),
        url=get("url", UNSET),
        method=get("method", UNSET),
        occurred_at=get("occurred_at", UNSET),
        duration_ms=get("duration_ms", UNSET),
        headers=get("headers", UNSET),
        account_id=get("account_id", UNSET),
        client_id=get("id", UNSET),
    )


def check_record_size(raw: object) -> None:
    """Raise RecordError when the record, serialised as compact JSON, exceeds RECORD_MAX_BYTES."""
    try:
        size = len(orjson.dumps(raw))
    except TypeError as exc:  # orjson.JSONEncodeError is a TypeError
        raise RecordError(f"record cannot be encoded as JSON: {exc}") from None
    if size > RECORD_MAX_BYTES:
        raise RecordError(f"record is {size} bytes; the limit is {RECORD_MAX_BYTES}")
