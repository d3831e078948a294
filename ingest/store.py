"""Bulk writes of parsed envelopes, in one transaction: the keys already stored are left
out, the new envelopes and their errors are COPYed in, and the rollup rows they add (counted
by `ingest.rollups`) are queued for `ingest.fold`. A batch is either stored whole or not at
all, and storing it again adds nothing: that is what makes redelivery after a worker crash
safe."""

from collections.abc import Sequence
from operator import itemgetter

import orjson
from django.db import connection, transaction
from psycopg.errors import UniqueViolation

from ingest.fold import queue_rollups
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

# The identity sequence of ingest_envelope.id, named as PostgreSQL names it. (Looking it up
# with pg_get_serial_sequence() costs more than nextval() itself, once per id.)
ID_SEQUENCE_SQL = (
    "SELECT nextval('ingest_envelope_id_seq'::regclass) FROM generate_series(1, %(count)s)"
)
STORED_KEYS_SQL = "SELECT dedup_key FROM ingest_envelope WHERE dedup_key = ANY(%(keys)s)"


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

    Returns how many were new. Runs in one transaction. Tried first as if every key were new,
    the common case, which needs no lookups; when a key is already stored (a redelivered batch,
    a client id sent again), the unique key refuses the batch and it is stored again without
    the keys already there. The last attempt covers another worker storing the same new key
    at the same time: the key is then found stored."""
    # In key order, as every worker writes them: two batches holding the same new keys in
    # different orders would otherwise wait on each other's unique index entries.
    keyed = sorted(first_copies(keyed), key=itemgetter(0))
    for leave_out_stored in (False, True):
        try:
            return _store_new(keyed, received_at, leave_out_stored)
        except UniqueViolation:
            continue
    return _store_new(keyed, received_at, leave_out_stored=True)


def _store_new(keyed: list[tuple[str, ParsedEnvelope]], received_at, leave_out_stored: bool) -> int:
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        if leave_out_stored:
            keyed = _not_stored(cursor, keyed)
        if not keyed:
            return 0
        cursor.execute(ID_SEQUENCE_SQL, {"count": len(keyed)})
        ids = [envelope_id for (envelope_id,) in cursor.fetchall()]
        columns = ", ".join(("id", *ENVELOPE_COLUMNS))
        with cursor.copy(f"COPY ingest_envelope ({columns}) FROM STDIN") as copy:
            for envelope_id, (key, envelope) in zip(ids, keyed, strict=True):
                copy.write_row((envelope_id, *_envelope_row(key, envelope, received_at)))
        stored = [
            (envelope_id, envelope) for envelope_id, (_, envelope) in zip(ids, keyed, strict=True)
        ]
        _copy_errors(cursor, stored)
        queue_rollups(cursor, [envelope for _, envelope in keyed])
    return len(stored)


def _not_stored(
    cursor, keyed: list[tuple[str, ParsedEnvelope]]
) -> list[tuple[str, ParsedEnvelope]]:
    cursor.execute(STORED_KEYS_SQL, {"keys": [key for key, _ in keyed]})
    stored = {key for (key,) in cursor.fetchall()}
    return [(key, envelope) for key, envelope in keyed if key not in stored]


def _copy_errors(cursor, stored: list[tuple[int, ParsedEnvelope]]) -> None:
    if not any(envelope.errors for _, envelope in stored):
        return
    with cursor.copy(f"COPY ingest_error ({', '.join(ERROR_COLUMNS)}) FROM STDIN") as copy:
        for envelope_id, envelope in stored:
            for row in _error_rows(envelope_id, envelope):
                copy.write_row(row)
