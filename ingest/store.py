"""Bulk writes of a batch of parsed envelopes, in one transaction: the batch id is recorded,
envelopes whose client id is already stored are left out, the new envelopes and their errors
are COPYed in, and the rollup rows they add (counted by `ingest.rollups`) are queued for
`ingest.fold`. A batch is either stored whole or not at all, and storing it again adds
nothing: that is what makes redelivery after a worker crash safe."""

from collections.abc import Sequence

import orjson
from django.db import connection, transaction
from psycopg.errors import UniqueViolation

from ingest.fold import queue_rollups
from ingest.parse import ParsedEnvelope

ENVELOPE_COLUMNS = (
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
STORED_CLIENT_IDS_SQL = (
    "SELECT client_id FROM ingest_envelope WHERE client_id = ANY(%(client_ids)s::text[])"
)
RECORD_BATCH_SQL = (
    "INSERT INTO ingest_storedbatch (batch_id, stored_at) VALUES (%s, %s) ON CONFLICT DO NOTHING"
)


def _json(value: object) -> str:
    return orjson.dumps(value).decode()


def _envelope_row(envelope: ParsedEnvelope, received_at) -> tuple:
    return (
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


def first_copies(envelopes: Sequence[ParsedEnvelope]) -> list[ParsedEnvelope]:
    """Drop later envelopes whose client id already appeared in the batch: the first copy
    wins. Envelopes without a client id are all kept."""
    seen: set[str] = set()
    kept = []
    for envelope in envelopes:
        client_id = envelope.client_id
        if client_id is None:
            kept.append(envelope)
        elif client_id not in seen:
            seen.add(client_id)
            kept.append(envelope)
    return kept


def store_envelopes(batch_id: str, envelopes: Sequence[ParsedEnvelope], received_at) -> int:
    """Store a batch's envelopes, with their errors and queued rollups, unless the batch was
    stored before; leave out envelopes whose client id is already stored.

    Returns how many were new. Runs in one transaction, which also records the batch id: a
    redelivered batch finds it and stores nothing. Tried first as if every client id were
    new, the common case, which needs no lookups; when one is already stored, its unique
    index refuses the batch and it is stored again without those envelopes. The last attempt
    covers another worker storing the same new client id at the same time: it is then found
    stored."""
    envelopes = first_copies(envelopes)
    if any(envelope.client_id is not None for envelope in envelopes):
        # In client id order, as every worker writes them: two batches holding the same new
        # ids in different orders would otherwise wait on each other's unique index entries.
        envelopes.sort(key=_client_id_order)
    for leave_out_stored in (False, True):
        try:
            return _store_new(batch_id, envelopes, received_at, leave_out_stored)
        except UniqueViolation:
            continue
    return _store_new(batch_id, envelopes, received_at, leave_out_stored=True)


def _client_id_order(envelope: ParsedEnvelope) -> tuple[bool, str]:
    return (envelope.client_id is None, envelope.client_id or "")


def _store_new(
    batch_id: str, envelopes: list[ParsedEnvelope], received_at, leave_out_stored: bool
) -> int:
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        cursor.execute(RECORD_BATCH_SQL, [batch_id, received_at])
        if cursor.rowcount == 0:  # stored before: a redelivery
            return 0
        if leave_out_stored:
            envelopes = _not_stored(cursor, envelopes)
        if not envelopes:
            return 0
        cursor.execute(ID_SEQUENCE_SQL, {"count": len(envelopes)})
        ids = [envelope_id for (envelope_id,) in cursor.fetchall()]
        stored = list(zip(ids, envelopes, strict=True))
        columns = ", ".join(("id", *ENVELOPE_COLUMNS))
        with cursor.copy(f"COPY ingest_envelope ({columns}) FROM STDIN") as copy:
            for envelope_id, envelope in stored:
                copy.write_row((envelope_id, *_envelope_row(envelope, received_at)))
        _copy_errors(cursor, stored)
        queue_rollups(cursor, envelopes)
    return len(stored)


def _not_stored(cursor, envelopes: list[ParsedEnvelope]) -> list[ParsedEnvelope]:
    client_ids = [envelope.client_id for envelope in envelopes if envelope.client_id is not None]
    cursor.execute(STORED_CLIENT_IDS_SQL, {"client_ids": client_ids})
    stored = {client_id for (client_id,) in cursor.fetchall()}
    return [envelope for envelope in envelopes if envelope.client_id not in stored]


def _copy_errors(cursor, stored: list[tuple[int, ParsedEnvelope]]) -> None:
    if not any(envelope.errors for _, envelope in stored):
        return
    with cursor.copy(f"COPY ingest_error ({', '.join(ERROR_COLUMNS)}) FROM STDIN") as copy:
        for envelope_id, envelope in stored:
            for row in _error_rows(envelope_id, envelope):
                copy.write_row(row)
