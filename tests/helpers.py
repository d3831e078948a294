"""Shared by the tests: records as an integration would send them, storing them, waiting."""

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from django.db import connection

from ingest.parse import ParsedEnvelope, parse_record
from ingest.retention import ROLLUP_TABLES
from ingest.store import store_envelopes
from ingest.validate import validate_record

INGEST_TABLES = (
    "ingest_error",
    "ingest_envelope",
    "ingest_pendingrollup",
    "ingest_storedbatch",
    *ROLLUP_TABLES,
)


def make_record(
    status: int = 200,
    account: str | None = "acc1",
    errors: list[dict] | None = None,
    endpoint_path: str = "campaigns",
    occurred_at: datetime | None = None,
    **extra,
) -> dict:
    """A record for `POST /api/v1/ingest`; `errors` become the body's errors array."""
    url = (
        f"https://ads-api.x.com/12/accounts/{account}/{endpoint_path}"
        if account
        else (f"https://ads-api.x.com/12/{endpoint_path}")
    )
    body: dict = {"request": {"params": {"account_id": account} if account else {}}}
    if errors:
        body["errors"] = errors
    else:
        body["data"] = []
    record = {"status": status, "url": url, "body": body, **extra}
    if occurred_at is not None:
        record["occurred_at"] = occurred_at.isoformat().replace("+00:00", "Z")
    return record


def error(code: str, parameter: str | None = None, message: str = "boom") -> dict:
    item = {"code": code, "message": message}
    if parameter is not None:
        item["parameter"] = parameter
    return item


def parse(raw: dict, received_at: datetime | None = None) -> ParsedEnvelope:
    return parse_record(validate_record(raw), received_at or datetime.now(UTC))


def store_records(records: list[dict], prefix: str = "t") -> list[ParsedEnvelope]:
    """Store records the way a worker does (without the queue); returns what was stored."""
    received_at = datetime.now(UTC)
    parsed = [parse(raw, received_at) for raw in records]
    store_envelopes(f"{prefix}:{uuid.uuid4().hex}", parsed, received_at)
    return parsed


def truncate_ingest_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(INGEST_TABLES)} RESTART IDENTITY")


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
