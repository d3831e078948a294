"""Single requests: the keyset-paginated list and the whole stored envelope."""

import base64
from datetime import datetime

import orjson

from ingest.filters import ERROR_DIMENSIONS, REQUEST_DIMENSIONS, FilterError, Filters
from ingest.queries.sql import fetch_all, filter_conditions

PAGE_DEFAULT_SIZE = 50
PAGE_MAX_SIZE = 500
MESSAGE_PREVIEW_CHARS = 200

SUMMARY_COLUMNS = (
    "id", "client_id", "account_id", "method", "url", "endpoint", "status", "failed",
    "occurred_at", "duration_ms", "transaction_id",
)  # fmt: skip
LIST_COLUMNS = (*SUMMARY_COLUMNS, "error_count", "errors")
DETAIL_COLUMNS = (*SUMMARY_COLUMNS, "received_at", "request_params", "errors", "headers", "body")
JSON_COLUMNS = {"request_params", "errors", "headers", "body"}


def _select(columns) -> str:
    # json columns come back as text and are decoded with orjson (faster than the default).
    return ", ".join(f"{c}::text" if c in JSON_COLUMNS else c for c in columns)


def encode_cursor(occurred_at: datetime, envelope_id: int) -> str:
    text = f"{occurred_at.isoformat()}|{envelope_id}"
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        moment, envelope_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(moment), int(envelope_id)
    except ValueError:
        raise FilterError("cursor", "not a cursor from a previous page's 'next'") from None


def _error_condition(filters: Filters, params: list) -> list[str]:
    """Requests with at least one error matching every error filter (the same error)."""
    inner = filter_conditions(filters, ERROR_DIMENSIONS, params)
    if not inner:
        return []
    return [
        "EXISTS (SELECT 1 FROM ingest_error r WHERE r.envelope_id = ingest_envelope.id AND "
        + " AND ".join(inner)
        + ")"
    ]


def _list_item(row: dict) -> dict:
    errors = orjson.loads(row.pop("errors"))
    first_message = next((e["message"] for e in errors if isinstance(e["message"], str)), None)
    return {
        **row,
        "codes": list(dict.fromkeys(error["code"] for error in errors)),
        "parameters": list(dict.fromkeys(e["parameter"] for e in errors if e["parameter"])),
        "first_message": first_message[:MESSAGE_PREVIEW_CHARS] if first_message else None,
    }


def list_requests(
    filters: Filters,
    failed: bool | None = None,
    client_id: str | None = None,
    cursor: str | None = None,
    limit: int = PAGE_DEFAULT_SIZE,
) -> dict:
    """Requests matching the filters, newest first, and the cursor of the next page."""
    params: list = [filters.since, filters.until]
    conditions = ["occurred_at >= %s", "occurred_at < %s"]
    conditions += filter_conditions(filters, REQUEST_DIMENSIONS, params)
    conditions += _error_condition(filters, params)
    if failed is not None:
        conditions.append("failed" if failed else "NOT failed")
    if client_id is not None:
        conditions.append("client_id = %s")
        params.append(client_id)
    if cursor:
        conditions.append("(occurred_at, id) < (%s, %s)")
        params += list(decode_cursor(cursor))
    params.append(limit + 1)
    rows = fetch_all(
        f"SELECT {_select(LIST_COLUMNS)} FROM ingest_envelope WHERE {' AND '.join(conditions)} "
        "ORDER BY occurred_at DESC, id DESC LIMIT %s",
        params,
    )
    items = [_list_item(dict(zip(LIST_COLUMNS, row, strict=True))) for row in rows[:limit]]
    more = len(rows) > limit
    next_cursor = encode_cursor(items[-1]["occurred_at"], items[-1]["id"]) if more else None
    return {"results": items, "next": next_cursor}


def get_request(envelope_id: int) -> dict | None:
    """The whole stored envelope, or None."""
    rows = fetch_all(
        f"SELECT {_select(DETAIL_COLUMNS)} FROM ingest_envelope WHERE id = %s", [envelope_id]
    )
    if not rows:
        return None
    envelope = dict(zip(DETAIL_COLUMNS, rows[0], strict=True))
    for column in JSON_COLUMNS:
        envelope[column] = orjson.loads(envelope[column])
    return envelope
