"""Retention deletes whole UTC days of envelopes, errors and rollups, and nothing newer."""

from datetime import UTC, datetime, timedelta

import pytest
from helpers import error, make_record, store_records

from ingest.filters import Filters
from ingest.models import Envelope, Error
from ingest.queries.aggregates import totals
from ingest.retention import purge_before, retention_cutoff

NOW = datetime(2026, 11, 28, 6, 30, tzinfo=UTC)


def test_the_cutoff_is_the_start_of_a_utc_day():
    assert retention_cutoff(NOW, days=30) == datetime(2026, 10, 29, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_purge_removes_old_rows_and_their_rollups_only():
    old, new = NOW - timedelta(days=40), NOW - timedelta(days=1)
    store_records(
        [
            make_record(status=400, errors=[error("X")], occurred_at=old + timedelta(minutes=i))
            for i in range(3)
        ]
        + [make_record(status=400, errors=[error("Y")], occurred_at=new)]
    )

    deleted = purge_before(retention_cutoff(NOW, days=30))

    assert deleted == 3
    assert Envelope.objects.count() == 1
    assert list(Error.objects.values_list("code", flat=True)) == ["Y"]
    everything = Filters(NOW - timedelta(days=60), NOW)
    assert totals(everything).requests == 1
