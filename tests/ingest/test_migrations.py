"""Upgrading a database of the last release (migration 0006) with data in it, and going back:
batches it stored are recognised when redelivered, client ids stay unique, and the schema
works at both ends."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from helpers import make_record, parse, truncate_ingest_tables

from ingest.fold import fold_pending_rollups
from ingest.models import Envelope, StoredBatch
from ingest.store import store_envelopes

LAST_RELEASE = [("ingest", "0006_envelope_dedup_key_constraint")]
AT = datetime(2026, 11, 20, 5, tzinfo=UTC)


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes("ingest")


def store_as_last_release(executor: MigrationExecutor, dedup_key: str, client_id=None) -> None:
    old_envelope = executor.loader.project_state(LAST_RELEASE).apps.get_model("ingest", "Envelope")
    old_envelope.objects.create(
        dedup_key=dedup_key,
        client_id=client_id,
        method="GET",
        url="https://ads-api.x.com/12/accounts/a1/campaigns",
        endpoint="GET /12/accounts/:account_id/campaigns",
        status=200,
        failed=False,
        error_count=0,
        occurred_at=AT,
        received_at=AT,
        request_params="{}",
        headers="{}",
        body="{}",
        errors="[]",
    )


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_from_the_last_release_keeps_redelivery_safe_and_can_go_back():
    head = latest()
    truncate_ingest_tables()
    try:
        old = migrate(LAST_RELEASE)
        store_as_last_release(old, "s:batch-a:0")
        store_as_last_release(old, "s:batch-a:1")
        store_as_last_release(old, "c:client-1", client_id="client-1")

        migrate(head)
        assert StoredBatch.objects.filter(batch_id="batch-a").exists()
        redelivered = [parse(make_record(occurred_at=AT), AT) for _ in range(2)]
        assert store_envelopes("batch-a", redelivered, AT) == 0
        again = [parse(make_record(occurred_at=AT, id="client-1"), AT)]
        assert store_envelopes("batch-b", again, AT) == 0
        assert Envelope.objects.count() == 3

        store_envelopes("batch-c", [parse(make_record(occurred_at=AT), AT)], AT)
        fold_pending_rollups()  # going back past 0007 refuses while batches wait
        migrate(LAST_RELEASE)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), count(DISTINCT dedup_key) FROM ingest_envelope")
            assert cursor.fetchone() == (4, 4)
        migrate(head)
        assert Envelope.objects.count() == 4
    finally:
        migrate(head)
        truncate_ingest_tables()
