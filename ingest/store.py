"""Bulk writes of parsed envelopes: COPY, idempotent inserts and rollup upserts, in one
transaction. A batch is either stored whole or not at all, and storing it again adds nothing:
that is what makes redelivery after a worker crash safe."""

from collections.abc import Sequence

import orjson
from django.db import connection, transaction

from ingest.parse import ParsedEnvelope

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
    "item_index",
    "code",
    "parameter",
    "account_id",
    "endpoint",
    "status",
    "occurred_at",
)

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
        envelope.body_json,
        _json([error.as_json() for error in envelope.errors]),
    )


def _error_rows(envelope_id: int, envelope: ParsedEnvelope):
    for error in envelope.errors:
        yield (
            envelope_id,
            error.position,
            error.item_index,
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
        upsert_rollups(cursor, [envelope_id for envelope_id, _ in stored])
    return len(stored)


def _copy_errors(cursor, stored: list[tuple[int, ParsedEnvelope]]) -> None:
    if not any(envelope.errors for _, envelope in stored):
        return
    with cursor.copy(f"COPY ingest_error ({', '.join(ERROR_COLUMNS)}) FROM STDIN") as copy:
        for envelope_id, envelope in stored:
            for row in _error_rows(envelope_id, envelope):
                copy.write_row(row)


REQUEST_ROLLUP_SQL = """
INSERT INTO {table} AS r (bucket, account_id, endpoint, status, requests, failed_requests, errors)
SELECT date_trunc('{unit}', occurred_at, 'UTC'), account_id, endpoint, status,
       count(*), count(*) FILTER (WHERE failed), sum(error_count)
FROM ingest_envelope WHERE id = ANY(%(ids)s)
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
ON CONFLICT (bucket, account_id, endpoint, status) DO UPDATE SET
  requests = r.requests + EXCLUDED.requests,
  failed_requests = r.failed_requests + EXCLUDED.failed_requests,
  errors = r.errors + EXCLUDED.errors
"""
# Each request counts once per code, per parameter and per (code, parameter): on the row of
# its first error with that code, parameter or pair; and once on the row of its first error
# (see ingest.models.ErrorRollup).
ERROR_ROLLUP_SQL = """
INSERT INTO {table} AS r (bucket, account_id, endpoint, status, code, parameter, errors,
                          pair_requests, code_requests, parameter_requests, first_error_requests)
SELECT date_trunc('{unit}', occurred_at, 'UTC'), account_id, endpoint, status, code, parameter,
       count(*), count(*) FILTER (WHERE pair_rank = 1), count(*) FILTER (WHERE code_rank = 1),
       count(*) FILTER (WHERE parameter_rank = 1), count(*) FILTER (WHERE position = 0)
FROM (
  SELECT *,
    row_number() OVER (PARTITION BY envelope_id, code, parameter ORDER BY position) pair_rank,
    row_number() OVER (PARTITION BY envelope_id, code ORDER BY position) code_rank,
    row_number() OVER (PARTITION BY envelope_id, parameter ORDER BY position) parameter_rank
  FROM ingest_error WHERE envelope_id = ANY(%(ids)s)
) AS ranked
GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
ON CONFLICT (bucket, account_id, endpoint, status, code, parameter) DO UPDATE SET
  errors = r.errors + EXCLUDED.errors,
  pair_requests = r.pair_requests + EXCLUDED.pair_requests,
  code_requests = r.code_requests + EXCLUDED.code_requests,
  parameter_requests = r.parameter_requests + EXCLUDED.parameter_requests,
  first_error_requests = r.first_error_requests + EXCLUDED.first_error_requests
"""
DIMENSION_ROLLUP_SQL = """
INSERT INTO {table} AS r (bucket, dimension, value, requests, failed_requests, errors)
SELECT bucket, dimension, value, sum(requests), sum(failed_requests), sum(errors) FROM (
  SELECT date_trunc('{unit}', occurred_at, 'UTC') AS bucket, '' AS dimension, NULL AS value,
         count(*) AS requests, count(*) FILTER (WHERE failed) AS failed_requests,
         sum(error_count) AS errors
  FROM ingest_envelope WHERE id = ANY(%(ids)s) GROUP BY 1
  UNION ALL
  SELECT date_trunc('{unit}', occurred_at, 'UTC'), d.dimension, d.value, count(*),
         count(*) FILTER (WHERE failed), sum(error_count)
  FROM ingest_envelope CROSS JOIN LATERAL (VALUES ('account', account_id),
       ('http_status', status::text), ('endpoint', endpoint)) AS d (dimension, value)
  WHERE id = ANY(%(ids)s) GROUP BY 1, 2, 3
  UNION ALL
  SELECT date_trunc('{unit}', occurred_at, 'UTC'), d.dimension, d.value,
         count(DISTINCT envelope_id), count(DISTINCT envelope_id), count(*)
  FROM ingest_error CROSS JOIN LATERAL (VALUES ('code', code), ('parameter', parameter))
       AS d (dimension, value)
  WHERE envelope_id = ANY(%(ids)s) GROUP BY 1, 2, 3
) AS counts
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (bucket, dimension, value) DO UPDATE SET
  requests = r.requests + EXCLUDED.requests,
  failed_requests = r.failed_requests + EXCLUDED.failed_requests,
  errors = r.errors + EXCLUDED.errors
"""
ROLLUP_STATEMENTS = [
    REQUEST_ROLLUP_SQL.format(table="ingest_hourlyrequestrollup", unit="hour"),
    REQUEST_ROLLUP_SQL.format(table="ingest_dailyrequestrollup", unit="day"),
    ERROR_ROLLUP_SQL.format(table="ingest_hourlyerrorrollup", unit="hour"),
    ERROR_ROLLUP_SQL.format(table="ingest_dailyerrorrollup", unit="day"),
    DIMENSION_ROLLUP_SQL.format(table="ingest_hourlydimensionrollup", unit="hour"),
    DIMENSION_ROLLUP_SQL.format(table="ingest_dailydimensionrollup", unit="day"),
]


def upsert_rollups(cursor, envelope_ids: list[int]) -> None:
    """Add the newly stored envelopes (and their errors) to the rollups, counted by
    PostgreSQL from the rows just written.

    Always in this table order and with rows sorted by key, so that concurrent workers lock
    rollup rows in the same order and cannot deadlock."""
    for statement in ROLLUP_STATEMENTS:
        cursor.execute(statement, {"ids": envelope_ids})
