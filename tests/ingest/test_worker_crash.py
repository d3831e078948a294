"""A worker killed with SIGKILL in the middle of a large ingest loses nothing and
duplicates nothing: late acknowledgement redelivers its batch, idempotent writes absorb it."""

import orjson
from django.db import connection
from helpers import error, make_record, wait_for

from ingest.fold import fold_pending_rollups
from ingest.models import Envelope
from ingest.queue import redis_client

BATCHES = 12
RECORDS_PER_BATCH = 2_000


def batch(number: int) -> list[dict]:
    records = []
    for index in range(RECORDS_PER_BATCH):
        if index % 4 == 0:
            errors = [error("INVALID_PARAMETER", "start_time"), error("NOT_FOUND")]
            records.append(make_record(status=400, account=f"acc{index % 7}", errors=errors))
        else:
            records.append(make_record(account=f"acc{index % 7}"))
    # every other batch carries client ids, the rest rely on server-side keys
    if number % 2:
        for index, record in enumerate(records):
            record["id"] = f"batch{number}-{index}"
    return records


def in_flight() -> int:
    """Messages a worker has taken but not acknowledged (kombu's Redis transport)."""
    return redis_client().hlen("unacked")


def scalar(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0] or 0)


def test_sigkill_mid_ingest_loses_and_duplicates_nothing(api_client, make_worker):
    # Ready before the first batch is queued: a worker that took batches while it started
    # could store them all before the test sees one in flight.
    doomed = make_worker("doomed-worker")
    for number in range(BATCHES):
        answer = api_client.post(
            "/api/v1/ingest", data=orjson.dumps(batch(number)), content_type="application/json"
        )
        assert answer.json()["accepted"] == RECORDS_PER_BATCH
    total = BATCHES * RECORDS_PER_BATCH

    wait_for(lambda: Envelope.objects.exists() and in_flight() > 0, what="a batch in flight")
    doomed.kill()
    stored_at_kill = Envelope.objects.count()
    assert stored_at_kill < total, "the worker finished before it could be killed"

    make_worker("rescue-worker")
    wait_for(lambda: Envelope.objects.count() == total, timeout=120, what="all envelopes")
    wait_for(lambda: in_flight() == 0 and redis_client().llen("ingest") == 0, what="empty queue")

    failed = total // 4
    fold_pending_rollups()  # as every read does; the workers folded most of it already
    assert scalar("SELECT count(*) FROM ingest_envelope") == total
    assert scalar("SELECT count(*) FROM ingest_error") == failed * 2
    assert scalar("SELECT sum(requests) FROM ingest_hourlyrequestrollup") == total
    assert scalar("SELECT sum(requests) FROM ingest_dailyrequestrollup") == total
    assert scalar("SELECT sum(failed_requests) FROM ingest_dailyrequestrollup") == failed
    assert scalar("SELECT sum(errors) FROM ingest_hourlyerrorrollup") == failed * 2
    assert scalar("SELECT sum(code_requests) FROM ingest_dailyerrorrollup") == failed * 2
    assert not redis_client().keys("xads:batch:*"), "payloads are dropped once stored"
