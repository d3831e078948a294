"""Stored batches reach the rollup tables through the fold, each exactly once; reads count
every batch committed before their snapshot once, folded or not, without waiting for folds."""

import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from helpers import error, make_record, store_records, truncate_ingest_tables

from ingest import fold
from ingest.filters import Filters
from ingest.fold import (
    FOLD_LOCK_SQL,
    fold_pending_rollups,
    fold_unless_locked,
    rollup_snapshot,
)
from ingest.queries.aggregates import totals
from ingest.queue import FOLD_TURN_KEY, claim_fold_turn, redis_client

HOUR = datetime(2026, 11, 20, 5, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def empty_tables(db):
    truncate_ingest_tables()


def table_sum(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0] or 0)


def pending() -> int:
    return table_sum("SELECT count(*) FROM ingest_pendingrollup")


def failing(count: int) -> list[dict]:
    return [
        make_record(status=400, occurred_at=HOUR, errors=[error("INVALID_PARAMETER", "name")])
        for _ in range(count)
    ]


@pytest.mark.django_db(transaction=True)
def test_a_fold_adds_every_queued_batch_once_and_empties_the_queue():
    store_records(failing(2), prefix="a")
    store_records([make_record(status=200, occurred_at=HOUR)], prefix="b")
    assert pending() == 2
    assert table_sum("SELECT count(*) FROM ingest_hourlyrequestrollup") == 0

    assert fold_pending_rollups() == 2
    assert fold_pending_rollups() == 0

    assert pending() == 0
    assert table_sum("SELECT sum(requests) FROM ingest_hourlyrequestrollup") == 3
    assert table_sum("SELECT sum(failed_requests) FROM ingest_dailyrequestrollup") == 2
    assert table_sum("SELECT sum(errors) FROM ingest_dailyerrorrollup") == 2
    assert (
        table_sum("SELECT sum(requests) FROM ingest_hourlydimensionrollup WHERE dimension = ''")
        == 3
    )


@pytest.mark.django_db(transaction=True)
def test_a_backlog_is_folded_in_steps_of_bounded_size(monkeypatch):
    monkeypatch.setattr(fold, "FOLD_STEP_BYTES", 1)  # one batch a step
    for _ in range(5):
        store_records(failing(1))

    assert fold.fold_unless_locked() == 5
    assert pending() == 0
    assert table_sum("SELECT sum(errors) FROM ingest_hourlyerrorrollup") == 5


WHOLE_DAY = Filters(datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))


def counted(filters: Filters = WHOLE_DAY) -> tuple[int, int, int]:
    counts = totals(filters)
    return counts.requests, counts.failed_requests, counts.errors


@pytest.mark.django_db(transaction=True)
def test_a_read_counts_queued_batches_without_folding_them():
    store_records(failing(2))
    fold_pending_rollups()
    store_records(failing(3))  # same hour: its rollup rows hold 2 of the 5

    assert counted() == (5, 5, 5)
    assert pending() == 1, "reads do not fold"
    fold_pending_rollups()
    assert counted() == (5, 5, 5)


def in_thread(work) -> threading.Thread:
    def run():
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


class FoldLockHolder:
    """Another session holding the fold lock, as a running fold does, until released."""

    def __init__(self):
        self.holding, self.released = threading.Event(), threading.Event()
        self.thread = in_thread(self._hold)
        assert self.holding.wait(10)

    def _hold(self):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(FOLD_LOCK_SQL)
            self.holding.set()
            self.released.wait(10)

    def release(self):
        self.released.set()
        self.thread.join()


@pytest.mark.django_db(transaction=True)
def test_a_worker_fold_gives_way_to_a_lock_holder_and_a_full_fold_waits_for_it():
    store_records(failing(1))
    holder = FoldLockHolder()
    assert fold_unless_locked() == 0
    assert pending() == 1

    waited = []
    folder = in_thread(lambda: waited.append(fold_pending_rollups()))
    folder.join(0.5)
    assert folder.is_alive(), "a full fold waits for the running one"
    holder.release()
    folder.join(10)
    assert waited == [1]


@pytest.mark.django_db(transaction=True)
def test_a_read_does_not_wait_for_a_fold_in_progress():
    store_records(failing(2))
    holder = FoldLockHolder()
    try:
        read = []
        reader = in_thread(lambda: read.append(counted()))
        reader.join(5)
        assert not reader.is_alive(), "the read waited for the fold lock"
        assert read == [(2, 2, 2)]
    finally:
        holder.release()


@pytest.mark.django_db(transaction=True)
def test_a_batch_committed_during_a_read_is_in_neither_its_raw_rows_nor_its_rollups():
    """The range 09:30-11:30 reads 10:00-11:00 from rollups and 11:00-11:30 from raw rows;
    the batch has an envelope in each."""
    since, until = (datetime(2026, 11, 20, hour, 30, tzinfo=UTC) for hour in (9, 11))
    window = Filters(since, until)
    batch = [
        make_record(status=200, occurred_at=datetime(2026, 11, 20, hour, 15, tzinfo=UTC))
        for hour in (10, 11)
    ]
    in_snapshot, stored = threading.Event(), threading.Event()
    seen = []

    def read_while_a_batch_is_stored():
        with rollup_snapshot():
            in_snapshot.set()
            stored.wait(10)
            seen.append(totals(window).requests)

    reader = in_thread(read_while_a_batch_is_stored)
    assert in_snapshot.wait(10)
    store_records(batch)
    stored.set()
    reader.join(10)

    assert seen == [0]
    assert totals(window).requests == 2


def test_one_worker_a_turn_folds_per_interval():
    redis_client().delete(FOLD_TURN_KEY)

    turns = [claim_fold_turn(0.3) for _ in range(3)]
    time.sleep(0.4)

    assert turns == [True, False, False]
    assert claim_fold_turn(0.3)


@pytest.mark.django_db(transaction=True)
def test_a_fold_committed_during_a_read_neither_loses_nor_doubles_a_batch():
    """Before the fold, the read's snapshot holds the batch as queued; the fold moves it into
    the rollups, which that snapshot does not see."""
    store_records(failing(3))
    in_snapshot, folded = threading.Event(), threading.Event()
    seen = []

    def read_while_folding():
        with rollup_snapshot():
            seen.append(counted())
            in_snapshot.set()
            folded.wait(10)
            seen.append(counted())

    reader = in_thread(read_while_folding)
    assert in_snapshot.wait(10)
    assert fold_pending_rollups() == 1
    folded.set()
    reader.join(10)

    assert seen == [(3, 3, 3), (3, 3, 3)]
    assert counted() == (3, 3, 3)


@pytest.mark.django_db(transaction=True)
def test_a_batch_queued_without_its_hours_is_still_counted_once():
    """As queued before migration 0011, or by a worker of an older version."""
    store_records(failing(2))
    fold_pending_rollups()
    store_records(failing(3))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ingest_pendingrollup SET hours = NULL")

    assert counted() == (5, 5, 5)
    fold_pending_rollups()
    assert counted() == (5, 5, 5)
