"""Adding stored envelopes to the rollup tables, many batches at a time.

Each batch's transaction queues its hourly rollup rows as one row of ingest_pendingrollup
(`queue_rollups`), so workers never touch the rollup tables themselves. A fold takes the
queued rows (DELETE ... RETURNING: each is taken once, in the transaction that adds it),
sums them, and upserts the hourly rows and the daily rows derived from them.

Folding many batches at once upserts far fewer rows than one upsert per batch would: the
same (hour, account, endpoint, status) recurs across batches. Workers fold at most every
ROLLUP_FOLD_SECONDS between them; every read of the rollups folds first (`fold_pending_rollups`), so
aggregates are exact as soon as a batch is stored.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import orjson
from django.conf import settings
from django.db import connection, transaction

from ingest import queue
from ingest.parse import ParsedEnvelope
from ingest.rollups import (
    Counts,
    Rollups,
    daily_rollups,
    decode_rollups,
    encode_rollups,
    hourly_rollups,
    merge_rollups,
)

# An application-chosen key for PostgreSQL's advisory locks: one fold at a time.
FOLD_LOCK_KEY = 0x78616473_666F6C64  # "xads" "fold"
QUEUE_SQL = "INSERT INTO ingest_pendingrollup (counts) VALUES (%s)"
# Batches folded per transaction at most, which bounds the memory a fold of a backlog needs.
FOLD_BATCHES_MAX = 200
TAKE_QUEUED_SQL = (
    "DELETE FROM ingest_pendingrollup WHERE id IN "
    "(SELECT id FROM ingest_pendingrollup ORDER BY id LIMIT %s) RETURNING counts"
)


@dataclass(frozen=True)
class RollupTable:
    name: str
    keys: tuple[str, ...]
    counts: tuple[str, ...]

    @cached_property
    def upsert_sql(self) -> str:
        """Upsert rows given as a JSON array of arrays (jsonb: parsed once, not once per
        field); sorted by key, so that concurrent upserts (a fold and a bench's raw load)
        lock rollup rows in one order and cannot deadlock."""
        columns = (*self.keys, *self.counts)
        values = ", ".join(
            f"(row ->> {index})::{self._type(column)}" for index, column in enumerate(columns)
        )
        keys = ", ".join(self.keys)
        updates = ", ".join(f"{count} = r.{count} + EXCLUDED.{count}" for count in self.counts)
        return (
            f"INSERT INTO {self.name} AS r ({', '.join(columns)}) "
            f"SELECT {values} FROM jsonb_array_elements(%s::jsonb) AS row "
            f"ORDER BY {', '.join(str(place) for place in range(1, len(self.keys) + 1))} "
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
        )

    def _type(self, column: str) -> str:
        return COLUMN_TYPES.get(column, "bigint" if column in self.counts else "text")

    @staticmethod
    def rows_json(counts: Counts) -> str:
        return orjson.dumps([(*key, *values) for key, values in counts.items()]).decode()


COLUMN_TYPES = {"bucket": "timestamptz", "status": "smallint"}
REQUEST_KEYS = ("bucket", "account_id", "endpoint", "status")
ERROR_KEYS = (*REQUEST_KEYS, "code", "parameter")
DIMENSION_KEYS = ("bucket", "dimension", "value")
REQUEST_COUNTS = ("requests", "failed_requests", "errors")
ERROR_COUNTS = (
    "errors",
    "pair_requests",
    "code_requests",
    "parameter_requests",
    "first_error_requests",
)

# (table, which rows of a Rollups, period) in the one order every upsert follows.
ROLLUP_UPSERTS = (
    (RollupTable("ingest_hourlyrequestrollup", REQUEST_KEYS, REQUEST_COUNTS), "requests", "hourly"),
    (RollupTable("ingest_dailyrequestrollup", REQUEST_KEYS, REQUEST_COUNTS), "requests", "daily"),
    (RollupTable("ingest_hourlyerrorrollup", ERROR_KEYS, ERROR_COUNTS), "errors", "hourly"),
    (RollupTable("ingest_dailyerrorrollup", ERROR_KEYS, ERROR_COUNTS), "errors", "daily"),
    (
        RollupTable("ingest_hourlydimensionrollup", DIMENSION_KEYS, REQUEST_COUNTS),
        "dimensions",
        "hourly",
    ),
    (
        RollupTable("ingest_dailydimensionrollup", DIMENSION_KEYS, REQUEST_COUNTS),
        "dimensions",
        "daily",
    ),
)


def upsert_rollups(cursor, hourly: Rollups) -> None:
    """Add hourly rows, and the daily rows they sum to, to the rollup tables."""
    by_period = {"hourly": hourly, "daily": daily_rollups(hourly)}
    for table, kind, period in ROLLUP_UPSERTS:
        counts = getattr(by_period[period], kind)
        if counts:
            cursor.execute(table.upsert_sql, [RollupTable.rows_json(counts)])


def queue_rollups(cursor, envelopes: Sequence[ParsedEnvelope]) -> None:
    """Queue the rollup rows of newly stored envelopes, in the storing transaction."""
    if envelopes:
        cursor.execute(QUEUE_SQL, [encode_rollups(hourly_rollups(envelopes))])


def fold_pending_rollups(wait: bool = True) -> int:
    """Fold every queued batch into the rollup tables; returns how many were folded.

    With `wait`, a fold already running is waited for, so that once this returns the rollups
    hold every batch committed before the call: readers use this. Without, a running fold
    means there is nothing to do now."""
    folded = 0
    while True:
        taken = _fold_some(wait)
        folded += taken
        if taken < FOLD_BATCHES_MAX:
            return folded


def _fold_some(wait: bool) -> int:
    """Fold up to FOLD_BATCHES_MAX queued batches, the oldest first, in one transaction."""
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FOLD_LOCK_KEY])
        else:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [FOLD_LOCK_KEY])
            if not cursor.fetchone()[0]:
                return 0
        cursor.execute(TAKE_QUEUED_SQL, [FOLD_BATCHES_MAX])
        queued = cursor.fetchall()
        if queued:
            upsert_rollups(cursor, merge_rollups(decode_rollups(counts) for (counts,) in queued))
        return len(queued)


def fold_when_due() -> int:
    """Called by a worker after each batch: fold if no worker has for ROLLUP_FOLD_SECONDS
    (a turn claimed in Redis), unless another fold is still running."""
    if not queue.claim_fold_turn(settings.ROLLUP_FOLD_SECONDS):
        return 0
    return fold_pending_rollups(wait=False)
