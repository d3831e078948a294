"""Adding stored envelopes to the rollup tables, many batches at a time.

Each batch's transaction queues its hourly rollup rows as one row of ingest_pendingrollup
(`queue_rollups`), so workers never touch the rollup tables themselves. A fold takes the
queued rows (DELETE ... RETURNING: each is taken once, in the transaction that adds it),
sums them, and upserts the hourly rows and the daily rows derived from them.

Folding many batches at once upserts far fewer rows than one upsert per batch would: the
same (hour, account, endpoint, status) recurs across batches. Workers fold at most every
ROLLUP_FOLD_SECONDS between them.

Readers neither fold nor wait for a fold (`rollup_snapshot`): in one snapshot, a batch is
either folded (in the rollups) or queued, and a queued row names the hours it touches, which
the reader then counts from raw rows. Retention, which deletes rollup rows, folds first under
the fold lock (`folded_rollups`).
"""

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

import orjson
from django.conf import settings
from django.db import connection, transaction
from psycopg.errors import LockNotAvailable
from redis.exceptions import RedisError

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

logger = logging.getLogger(__name__)

QUEUE_SQL = "INSERT INTO ingest_pendingrollup (counts, hours) VALUES (%s, %s)"
# Rows queued before hours were recorded (or by a worker of an older version) are read whole.
UNFOLDED_HOURS_SQL = (
    "SELECT hours, CASE WHEN hours IS NULL THEN counts END FROM ingest_pendingrollup"
)
# One fold at a time. A table of its own, with no rows: a table lock can be taken
# before a transaction's snapshot, which an advisory lock (a SELECT) cannot.
FOLD_LOCK_SQL = "LOCK TABLE ingest_foldlock IN EXCLUSIVE MODE"
# Encoded rows folded per step at most (and at least one batch), which bounds the memory and
# the statement size of a fold of a backlog.
FOLD_STEP_BYTES = 32 * 1024 * 1024
TAKE_QUEUED_SQL = """
DELETE FROM ingest_pendingrollup WHERE id IN (
    SELECT id FROM (
        SELECT id,
               sum(octet_length(counts)) OVER (ORDER BY id) AS bytes_upto,
               row_number() OVER (ORDER BY id) AS place
        FROM ingest_pendingrollup
    ) AS queued
    WHERE bytes_upto <= %(bytes)s OR place = 1
)
RETURNING counts
"""


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
    """Queue the rollup rows of newly stored envelopes, and the hours they touch, in the
    storing transaction."""
    if envelopes:
        rollups = hourly_rollups(envelopes)
        hours = sorted({key[0] for key in rollups.requests})
        cursor.execute(QUEUE_SQL, [encode_rollups(rollups), hours])


# The unfolded hours of the read snapshot this context is in, if any.
_snapshot_unfolded: ContextVar[frozenset[datetime] | None] = ContextVar(
    "snapshot_unfolded", default=None
)


@contextmanager
def rollup_snapshot() -> Iterator[frozenset[datetime]]:
    """A transaction in which raw rows and rollups are read in one snapshot, without folding
    or waiting for a fold. Yields the hours that batches still queued touch: their rollups
    are incomplete in this snapshot, so they must be counted from raw rows. Every batch
    committed before the snapshot is counted once; none committed after it.

    Nested in another rollup_snapshot, it is that one. Nested in another transaction, it
    reads in that one, which must be REPEATABLE READ for the guarantee: under READ COMMITTED
    (a test's transaction, say) each statement has its own snapshot, and a batch committed
    between the unfolded hours and the read may be counted in part. No request or task of the
    product reads inside another transaction (ATOMIC_REQUESTS is off)."""
    unfolded = _snapshot_unfolded.get()
    if unfolded is not None and connection.in_atomic_block:
        yield unfolded
        return
    with _one_snapshot() as cursor:
        unfolded = _unfolded_hours(cursor)
        token = _snapshot_unfolded.set(unfolded)
        try:
            yield unfolded
        finally:
            _snapshot_unfolded.reset(token)


@contextmanager
def _one_snapshot() -> Iterator:
    """A transaction whose statements share one snapshot (REPEATABLE READ, taken at its
    first statement); yields its psycopg cursor. Nested in another transaction, it runs in
    that one, at that one's isolation level."""
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as wrapper:
        if outermost:
            wrapper.cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield wrapper.cursor


def _unfolded_hours(cursor) -> frozenset[datetime]:
    cursor.execute(UNFOLDED_HOURS_SQL)
    hours: set[datetime] = set()
    for queued_hours, counts in cursor.fetchall():
        if queued_hours is None:
            queued_hours = [key[0] for key in decode_rollups(bytes(counts)).requests]
        hours.update(hour.astimezone(UTC) for hour in queued_hours)  # day_start() wants UTC
    return frozenset(hours)


@contextmanager
def folded_rollups() -> Iterator[int]:
    """A transaction that holds the fold lock, in which the rollups hold every batch
    committed before it began: for writers of the rollup tables, such as retention. Yields
    how many batches were folded.

    The snapshot is taken after the fold lock is granted (LOCK TABLE takes none), so a fold
    that ran meanwhile is seen whole."""
    with _one_snapshot() as cursor:
        cursor.execute(FOLD_LOCK_SQL)
        folded = 0
        while taken := _fold_step(cursor):
            folded += taken
        yield folded


def fold_pending_rollups() -> int:
    """Fold every batch committed so far; returns how many were folded."""
    with folded_rollups() as folded:
        return folded


def fold_when_due() -> int:
    """Called by a worker after each batch: fold if no worker has for ROLLUP_FOLD_SECONDS
    (a turn claimed in Redis). Each step of the fold commits on its own, so a worker never
    holds the lock for long."""
    try:
        if not queue.claim_fold_turn(settings.ROLLUP_FOLD_SECONDS):
            return 0
    except RedisError:
        logger.warning("no fold turn: Redis is unreachable; a later batch folds", exc_info=True)
        return 0
    return fold_unless_locked()


def fold_unless_locked() -> int:
    """Fold every queued batch, a step per transaction, unless another fold (or retention)
    holds the fold lock: it then folds them itself."""
    folded = 0
    while taken := _fold_step_unless_locked():
        folded += taken
    return folded


def _fold_step_unless_locked() -> int:
    try:
        with transaction.atomic(), connection.cursor() as wrapper:
            wrapper.cursor.execute(FOLD_LOCK_SQL + " NOWAIT")
            return _fold_step(wrapper.cursor)
    except LockNotAvailable:
        return 0


def _fold_step(cursor) -> int:
    """Fold the oldest queued batches, up to FOLD_STEP_BYTES of them (at least one), in the
    current transaction, which holds the fold lock; returns how many."""
    cursor.execute(TAKE_QUEUED_SQL, {"bytes": FOLD_STEP_BYTES})
    queued = cursor.fetchall()
    if queued:
        upsert_rollups(cursor, merge_rollups(decode_rollups(counts) for (counts,) in queued))
    return len(queued)
