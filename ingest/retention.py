"""Deleting envelopes older than the retention period, a whole UTC day at a time.

Raw rows go in bounded chunks so that no single statement holds locks for long; rollups go
with the same day boundary, right after, so that aggregates stop counting the deleted days
(a read of those days in between still counts them from rollups)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ingest.fold import folded_rollups
from ingest.rollups import day_start

DELETE_CHUNK_ROWS = 20_000
ROLLUP_TABLES = (
    "ingest_hourlyrequestrollup",
    "ingest_dailyrequestrollup",
    "ingest_hourlyerrorrollup",
    "ingest_dailyerrorrollup",
    "ingest_hourlydimensionrollup",
    "ingest_dailydimensionrollup",
)


def retention_cutoff(now: datetime, days: int) -> datetime:
    """Everything strictly before this moment is expired: the start of the UTC day that
    lies `days` days before `now`."""
    return day_start(now - timedelta(days=days))


DELETE_ENVELOPES_SQL = (
    "WITH doomed AS (SELECT id FROM ingest_envelope WHERE occurred_at < %s LIMIT %s) "
    ", gone_errors AS (DELETE FROM ingest_error WHERE envelope_id IN (SELECT id FROM doomed)) "
    "DELETE FROM ingest_envelope WHERE id IN (SELECT id FROM doomed)"
)
# Batches stored so long ago are never delivered again.
DELETE_BATCH_IDS_SQL = (
    "DELETE FROM ingest_storedbatch WHERE batch_id IN "
    "(SELECT batch_id FROM ingest_storedbatch WHERE stored_at < %s LIMIT %s)"
)


def _delete_in_chunks(sql: str, cutoff: datetime) -> int:
    """Run a DELETE of at most DELETE_CHUNK_ROWS rows, each in its own transaction, until it
    deletes fewer; returns the rows deleted."""
    deleted = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [cutoff, DELETE_CHUNK_ROWS])
            deleted += cursor.rowcount
            if cursor.rowcount < DELETE_CHUNK_ROWS:
                return deleted


def purge_before(cutoff: datetime) -> int:
    """Delete envelopes, errors and rollup rows older than `cutoff`; returns envelopes deleted."""
    deleted = _delete_in_chunks(DELETE_ENVELOPES_SQL, cutoff)
    # Folded first, with the fold lock held: queued counts of deleted envelopes must not
    # arrive later, and no fold may write the rows being deleted.
    with folded_rollups(), connection.cursor() as cursor:
        for table in ROLLUP_TABLES:
            cursor.execute(f"DELETE FROM {table} WHERE bucket < %s", [cutoff])
    _delete_in_chunks(DELETE_BATCH_IDS_SQL, cutoff)
    return deleted


def purge_expired() -> int:
    return purge_before(retention_cutoff(timezone.now(), settings.INGEST_RETENTION_DAYS))
