"""Turn a validated Record into what is stored: the redacted envelope and its errors.

Strings are kept exactly as sent; the only changes are credential redaction (URL, headers,
``body.request.params``) and the derived fields (endpoint, account, errors, flags).
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from ingest.body import BodyParts, body_parts
from ingest.catalog import CATALOG, generic_code_for_status
from ingest.endpoints import account_from_url, endpoint_template
from ingest.memo import memoised
from ingest.redact import (
    has_secret_params,
    redact_body_json,
    redact_error_value,
    redact_headers,
    redact_params,
    redact_url,
)
from ingest.validate import Record

UNKNOWN_CODE = "UNKNOWN"
FAILED_STATUS_MIN = 400
TRANSACTION_HEADERS = ("x-transaction-id", "x-transaction")
_TRANSACTION_NAME_LENGTHS = frozenset(len(name) for name in TRANSACTION_HEADERS)
# Fields of an error object that get their own attribute; everything else goes to `extra`.
ERROR_MAIN_FIELDS = ("code", "parameter", "message", "details", "value")
# Aggregation keys are index keys, and PostgreSQL refuses index rows over ~2.7 KB: longer
# (hostile) values are cut. The stored body keeps them whole.
ACCOUNT_KEY_MAX_CHARS = 128
ENDPOINT_KEY_MAX_CHARS = 256
CODE_KEY_MAX_CHARS = 128
PARAMETER_KEY_MAX_CHARS = 128


@dataclass(frozen=True, slots=True)
class ParsedError:
    """One error of a response, with its catalog flags."""

    position: int
    code: str
    parameter: str | None
    message: object
    details: object
    value: object
    extra: dict
    unknown: bool
    mismatch: bool
    synthesized: bool
    item_index: int | None = None  # for a batch endpoint's operation_errors: the item's place

    def as_json(self) -> dict:
        """Return the error as a JSON-ready dict; `extra` keys never replace the main ones."""
        main = {
            "code": self.code,
            "parameter": self.parameter,
            "message": self.message,
            "details": self.details,
            "value": self.value,
            "unknown": self.unknown,
            "mismatch": self.mismatch,
            "synthesized": self.synthesized,
            "item_index": self.item_index,
        }
        return main | {key: item for key, item in self.extra.items() if key not in main}


# Not frozen, but never changed once built: one is built per record on the ingest hot path,
# where a frozen dataclass costs three times as much to build.
@dataclass(slots=True)
class ParsedEnvelope:
    """One response envelope ready to store, credentials redacted."""

    client_id: str | None
    account_id: str | None
    method: str
    url: str
    endpoint: str
    status: int
    failed: bool
    occurred_at: datetime
    duration_ms: float | None
    transaction_id: str | None
    request_params: dict
    headers: dict[str, str]
    body_json: str  # the body as sent, as JSON text; redacted when it echoes OAuth params
    errors: tuple[ParsedError, ...]


def _non_empty_string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _key(text: str | None, max_chars: int) -> str | None:
    """`text` cut to `max_chars` so that it fits in an index."""
    return text[:max_chars] if text is not None else None


def _account_id(record: Record, params: dict) -> str | None:
    """Record's account_id, else the echoed request param, else the URL's, else None."""
    if record.account_id:
        return record.account_id
    from_params = _non_empty_string(params.get("account_id"))
    if from_params is not None:
        return from_params
    return account_from_url(record.url)


def _transaction_id(headers: Mapping[str, str]) -> str | None:
    """First non-empty value of x-transaction-id, then x-transaction (names case-insensitive;
    of names that differ only in case, the first one counts)."""
    for name in _transaction_header_names(tuple(headers)):
        value = headers[name]
        if value:
            return value
    return None


@memoised  # an integration sends the same header names record after record
def _transaction_header_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """The first of `names` to be each of TRANSACTION_HEADERS once lower-cased, in the order
    of TRANSACTION_HEADERS."""
    first_names: dict[str, str] = {}
    for name in names:
        # Lower-casing keeps the length of any name that becomes one of these.
        if len(name) in _TRANSACTION_NAME_LENGTHS:
            first_names.setdefault(name.lower(), name)
    return tuple(first_names[name] for name in TRANSACTION_HEADERS if name in first_names)


def _flags(code: str, status: int, synthesized: bool) -> dict[str, bool]:
    """Catalog flags of one error code for a response with `status`."""
    catalog_status = CATALOG.get(code)
    return {
        "unknown": catalog_status is None and not synthesized,
        "mismatch": catalog_status is not None and catalog_status != status,
        "synthesized": synthesized,
    }


def _error_from_element(position: int, element: object, status: int) -> ParsedError:
    """Build the ParsedError for one element of the ``errors`` array."""
    if not isinstance(element, dict):
        return ParsedError(
            position=position,
            code=UNKNOWN_CODE,
            parameter=None,
            message=element if isinstance(element, str) else None,
            details=None,
            value=None,
            extra={"raw": element},
            **_flags(UNKNOWN_CODE, status, synthesized=False),
        )
    code = _key(_non_empty_string(element.get("code")), CODE_KEY_MAX_CHARS) or UNKNOWN_CODE
    parameter = _key(_non_empty_string(element.get("parameter")), PARAMETER_KEY_MAX_CHARS)
    return ParsedError(
        position=position,
        code=code,
        parameter=parameter,
        message=element.get("message"),
        details=element.get("details"),
        value=redact_error_value(parameter, element.get("value")),
        extra={key: item for key, item in element.items() if key not in ERROR_MAIN_FIELDS},
        **_flags(code, status, synthesized=False),
    )


def _synthesized_error(status: int) -> ParsedError:
    """The single error standing for a failed response that carried no usable errors."""
    code = generic_code_for_status(status)
    return ParsedError(
        position=0,
        code=code,
        parameter=None,
        message=None,
        details=None,
        value=None,
        extra={},
        **_flags(code, status, synthesized=True),
    )


def _operation_errors(entries: object, status: int, first_position: int) -> list[ParsedError]:
    """Item-level errors of a batch endpoint: ``operation_errors`` is aligned with the items
    sent, each entry empty or a list of error objects."""
    if not isinstance(entries, list):
        return []
    errors = []
    for item_index, entry in enumerate(entries):
        for element in entry if isinstance(entry, list) else []:
            error = _error_from_element(first_position + len(errors), element, status)
            errors.append(replace(error, item_index=item_index))
    return errors


def _parse_errors(body: BodyParts, status: int) -> tuple[ParsedError, ...]:
    """The errors of a response: ``body.errors``, then ``body.operation_errors``; else, for a
    failed response, one error synthesized from its status."""
    errors = []
    if isinstance(body.errors, list):
        errors = [_error_from_element(i, element, status) for i, element in enumerate(body.errors)]
    if body.operation_errors is not None:
        errors += _operation_errors(body.operation_errors, status, len(errors))
    if not errors and status >= FAILED_STATUS_MIN:
        return (_synthesized_error(status),)
    return tuple(errors)


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is UTC:
        return moment
    if moment.utcoffset() is None:
        raise ValueError("received_at must be timezone-aware")
    return moment.astimezone(UTC)


def parse_record(record: Record, received_at: datetime) -> ParsedEnvelope:
    """Derive the stored envelope from a validated record.

    ``received_at`` (timezone-aware) stands in for ``occurred_at`` when the record has none.
    """
    received_at_utc = _as_utc(received_at)
    body = record.body if isinstance(record.body, BodyParts) else body_parts(record.body)
    params = body.params or {}
    echoes_secrets = has_secret_params(params)
    errors = _parse_errors(body, record.status)
    return ParsedEnvelope(
        client_id=record.client_id,
        account_id=_key(_account_id(record, params), ACCOUNT_KEY_MAX_CHARS),
        method=record.method,
        url=redact_url(record.url),
        endpoint=_key(endpoint_template(record.method, record.url), ENDPOINT_KEY_MAX_CHARS),
        status=record.status,
        failed=record.status >= FAILED_STATUS_MIN or bool(errors),
        occurred_at=record.occurred_at or received_at_utc,
        duration_ms=record.duration_ms,
        transaction_id=_transaction_id(record.headers),
        request_params=redact_params(params) if echoes_secrets else dict(params),
        headers=redact_headers(record.headers),
        body_json=redact_body_json(body.json),
        errors=errors,
    )
