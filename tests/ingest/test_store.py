"""Storage is idempotent: a redelivered batch adds nothing, rollups included."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import orjson
import pytest
from django.db import connection
from helpers import error, make_record, parse

from ingest.batches import store_batch
from ingest.fold import fold_pending_rollups
from ingest.models import Envelope
from ingest.store import first_copies, store_envelopes

ROLLUP_SUMS = {
    "ingest_hourlyrequestrollup": "sum(requests), sum(failed_requests), sum(errors)",
    "ingest_dailyrequestrollup": "sum(requests), sum(failed_requests), sum(errors)",
    "ingest_hourlyerrorrollup": "sum(errors), sum(pair_requests), sum(code_requests)",
    "ingest_dailyerrorrollup": "sum(errors), sum(pair_requests), sum(parameter_requests)",
}


def rollup_sums() -> dict:
    fold_pending_rollups()
    sums = {}
    with connection.cursor() as cursor:
        for table, columns in ROLLUP_SUMS.items():
            cursor.execute(f"SELECT {columns} FROM {table}")
            sums[table] = tuple(int(value or 0) for value in cursor.fetchone())
    return sums


@pytest.fixture
def batch() -> bytes:
    return orjson.dumps(
        [
            make_record(
                status=400,
                errors=[
                    error("INVALID_PARAMETER", "start_time"),
                    error("INVALID_PARAMETER", "end_time"),
                ],
            ),
            make_record(status=200),
            make_record(status=404, id="client-1"),
            {"status": "bad"},
        ]
    )


@pytest.mark.django_db(transaction=True)
def test_storing_the_same_batch_twice_adds_nothing(batch):
    received_at = datetime.now(UTC)

    assert store_batch("b1", batch, received_at, rejected={3}) == 3
    first = rollup_sums()
    assert store_batch("b1", batch, received_at, rejected={3}) == 0

    assert Envelope.objects.count() == 3
    assert rollup_sums() == first
    assert first["ingest_hourlyrequestrollup"] == (3, 2, 3)
    assert first["ingest_hourlyerrorrollup"] == (3, 3, 2)  # 3 (code, parameter) pairs, 2 codes
    assert first["ingest_dailyerrorrollup"][2] == 3  # start_time, end_time and no parameter


@pytest.mark.django_db(transaction=True)
def test_another_batch_with_a_known_client_id_stores_only_the_new_records(batch):
    received_at = datetime.now(UTC)
    store_batch("b1", batch, received_at, rejected={3})

    assert store_batch("b2", batch, received_at, rejected={3}) == 2  # client-1 is known
    assert Envelope.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_batch_stored_twice_at_once_is_stored_once():
    """A redelivery racing the first delivery: the later transaction waits on the batch id
    the earlier one recorded, finds it once that commits, and stores nothing."""
    received_at = datetime.now(UTC)
    envelopes = [parse(make_record(status=200)), parse(make_record(status=404))]
    barrier = threading.Barrier(2)

    def store(_) -> int:
        try:
            barrier.wait()
            return store_envelopes("same-batch", envelopes, received_at)
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        stored = sorted(pool.map(store, range(2)))

    assert stored == [0, 2]
    assert Envelope.objects.count() == 2
    assert rollup_sums()["ingest_hourlyrequestrollup"][0] == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_storing_the_same_new_client_id_at_once_store_it_once():
    """The later COPY waits for the earlier transaction, fails on the client id once it
    commits, and is tried again: the id is then known and only the other records are
    stored."""
    received_at = datetime.now(UTC)
    shared = parse(make_record(status=404, id="shared"))
    batches = [(name, [shared, parse(make_record(status=200))]) for name in ("one", "two")]
    barrier = threading.Barrier(2)

    def store(batch) -> int:
        try:
            barrier.wait()
            return store_envelopes(*batch, received_at)
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        stored = sorted(pool.map(store, batches))

    assert stored == [1, 2]
    assert Envelope.objects.count() == 3
    assert Envelope.objects.filter(client_id="shared").count() == 1
    assert rollup_sums()["ingest_hourlyrequestrollup"][0] == 3


def test_within_a_batch_the_first_copy_of_a_client_id_wins():
    first = parse(make_record(status=404, id="dup"))
    envelopes = [first, parse(make_record(status=200)), parse(make_record(status=500, id="dup"))]

    kept = first_copies(envelopes)

    assert kept == envelopes[:2]
    assert kept[0] is first
