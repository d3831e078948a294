"""Bulk writes of parsed envelopes: COPY, idempotent inserts and rollup upserts, in one
transaction. A batch is either stored whole or not at all, and storing it again adds nothing:
that is what makes redelivery after a worker crash safe."""

from collections.abc import Sequence

import orjson
from django.db import connection, transaction

from ingest.parse import ParsedEnvelope
from ingest.rollups import day_start, error_deltas, hour_start, request_deltas, sort_key

ENVELOPE_COLUMNS = (
    "dedup_key",
    "client_id",
    "account_id",
    "method",
    "url",
    "endpoint",
    "status",
    "failed",
    "error_count",
    "occurred_at",
    "received_at",
    "duration_ms",
    "transaction_id",
    "request_params",
    "headers",
    "body",
    "errors",
)
ERROR_COLUMNS = (
    "envelope_id",
    "position",
    "code",
    "parameter",
    "account_id",
    "endpoint",
    "status",
    "occurred_at",
)
REQUEST_KEY_COLUMNS = ("bucket", "account_id", "endpoint", "status")
REQUEST_COUNT_COLUMNS = ("requests", "failed_requests", "errors")
ERROR_KEY_COLUMNS = (*REQUEST_KEY_COLUMNS, "code", "parameter")
ERROR_COUNT_COLUMNS = ("errors", "pair_requests", "code_requests", "parameter_requests")
KEY_TYPES = {
    "bucket": "timestamptz",
    "account_id": "text",
    "endpoint": "text",
    "status": "smallint",
    "code": "text",
    "parameter": "text",
}

STAGING_SQL = (
    "CREATE TEMP TABLE IF NOT EXISTS envelope_staging ON COMMIT DELETE ROWS AS "
    f"SELECT {', '.join(ENVELOPE_COLUMNS)} FROM ingest_envelope WITH NO DATA"
)
INSERT_SQL = (
    f"INSERT INTO ingest_envelope ({', '.join(ENVELOPE_COLUMNS)}) "
    f"SELECT {', '.join(ENVELOPE_COLUMNS)} FROM envelope_staging ORDER BY dedup_key "
    "ON CONFLICT (dedup_key) DO NOTHING RETURNING id, dedup_key"
)


def _json(value: object) -> str:
    return orjson.dumps(value).decode()


def _envelope_row(dedup_key: str, envelope: ParsedEnvelope, received_at) -> tuple:
    return (
        dedup_key,
        envelope.client_id,
        envelope.account_id,
        envelope.method,
        envelope.url,
        envelope.endpoint,
        envelope.status,
        envelope.failed,
        len(envelope.errors),
        envelope.occurred_at,
        received_at,
        envelope.duration_ms,
        envelope.transaction_id,
        _json(envelope.request_params),
        _json(envelope.headers),
        _json(envelope.body),
        _json([error.as_json() for error in envelope.errors]),
    )


def _error_rows(envelope_id: int, envelope: ParsedEnvelope):
    for error in envelope.errors:
        yield (
            envelope_id,
            error.position,
            error.code,
            error.parameter,
            envelope.account_id,
            envelope.endpoint,
            envelope.status,
            envelope.occurred_at,
        )


def first_copies(keyed: Sequence[tuple[str, ParsedEnvelope]]) -> list[tuple[str, ParsedEnvelope]]:
    """Drop later records whose dedup key already appeared in the batch: the first copy wins."""
    seen: set[str] = set()
    kept = []
    for key, envelope in keyed:
        if key not in seen:
            seen.add(key)
            kept.append((key, envelope))
    return kept


def store_envelopes(keyed: Sequence[tuple[str, ParsedEnvelope]], received_at) -> int:
    """Store the envelopes whose dedup key is new, with their errors and rollups.

    Returns how many were new. Runs in one transaction."""
    keyed = first_copies(keyed)
    if not keyed:
        return 0
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        cursor.execute(STAGING_SQL)
        with cursor.copy(
            f"COPY envelope_staging ({', '.join(ENVELOPE_COLUMNS)}) FROM STDIN"
        ) as copy:
            for key, envelope in keyed:
                copy.write_row(_envelope_row(key, envelope, received_at))
        cursor.execute(INSERT_SQL)
        ids_by_key = dict((key, envelope_id) for envelope_id, key in cursor.fetchall())
        stored = [(ids_by_key[key], env) for key, env in keyed if key in ids_by_key]
        _copy_errors(cursor, stored)
        envelopes = [envelope for _, envelope in stored]
        _upsert_rollups(cursor, envelopes)
    return len(stored)


def _copy_errors(cursor, stored: list[tuple[int, ParsedEnvelope]]) -> None:
    if not any(envelope.errors for _, envelope in stored):
        return
    with cursor.copy(f"COPY ingest_error ({', '.join(ERROR_COLUMNS)}) FROM STDIN") as copy:
        for envelope_id, envelope in stored:
            for row in _error_rows(envelope_id, envelope):
                copy.write_row(row)


def _upsert_rollups(cursor, envelopes: list[ParsedEnvelope]) -> None:
    # Always in this table order, rows sorted: concurrent workers lock in the same order.
    for table, truncate in (
        ("ingest_hourlyrequestrollup", hour_start),
        ("ingest_dailyrequestrollup", day_start),
    ):
        _upsert(
            cursor,
            table,
            REQUEST_KEY_COLUMNS,
            REQUEST_COUNT_COLUMNS,
            request_deltas(envelopes, truncate),
        )
    for table, truncate in (
        ("ingest_hourlyerrorrollup", hour_start),
        ("ingest_dailyerrorrollup", day_start),
    ):
        _upsert(
            cursor, table, ERROR_KEY_COLUMNS, ERROR_COUNT_COLUMNS, error_deltas(envelopes, truncate)
        )


def _upsert(cursor, table: str, key_columns, count_columns, deltas: dict) -> None:
    if not deltas:
        return
    keys = sorted(deltas, key=sort_key)
    columns = [*key_columns, *count_columns]
    arrays = [[key[i] for key in keys] for i in range(len(key_columns))]
    arrays += [[deltas[key][i] for key in keys] for i in range(len(count_columns))]
    types = [KEY_TYPES[name] for name in key_columns] + ["bigint"] * len(count_columns)
    unnest = ", ".join(f"%s::{sql_type}[]" for sql_type in types)
    updates = ", ".join(f"{name} = {table}.{name} + EXCLUDED.{name}" for name in count_columns)
    conflict = ", ".join(key_columns)
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {', '.join(columns)} FROM unnest({unnest}) WITH ORDINALITY "
        f"AS u({', '.join(columns)}, ordinal) ORDER BY ordinal "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}",
        arrays,
    )
