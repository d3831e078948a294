"""The aggregates equal a brute-force count over the same envelopes, for any time range and
any filters: whether a segment is read from raw rows, hourly or daily rollups must not show."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from helpers import error, make_record, store_records, truncate_ingest_tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.filters import DIMENSIONS, ERROR_DIMENSIONS, Filters
from ingest.fold import fold_pending_rollups
from ingest.queries import aggregates

START = datetime(2026, 11, 1, tzinfo=UTC)
SPAN_MINUTES = 3 * 24 * 60
ACCOUNTS = ["a1", "a2", None]
CODES = ["INVALID_PARAMETER", "NOT_FOUND", "MYSTERY"]
PARAMETERS = ["start_time", "end_time", None]
STATUSES = [200, 400, 404, 503]
ATTRIBUTE = {"account": "account_id", "http_status": "status", "endpoint": "endpoint"}

errors_strategy = st.lists(
    st.builds(error, st.sampled_from(CODES), st.sampled_from(PARAMETERS)), max_size=3
)
record_strategy = st.builds(
    make_record,
    status=st.sampled_from(STATUSES),
    account=st.sampled_from(ACCOUNTS),
    errors=errors_strategy,
    endpoint_path=st.sampled_from(["campaigns", "line_items/7x1", "cards"]),
    occurred_at=st.integers(0, SPAN_MINUTES).map(lambda m: START + timedelta(minutes=m)),
)
moment = st.integers(0, SPAN_MINUTES + 60).map(lambda m: START + timedelta(minutes=m - 30))


def filter_values(name: str, options: list):
    return st.lists(st.sampled_from(options), max_size=2, unique=True).map(tuple)


filters_strategy = st.builds(
    lambda a, b, values: Filters(min(a, b), max(a, b) + timedelta(minutes=1), values),
    moment,
    moment,
    st.fixed_dictionaries(
        {},
        optional={
            "account": filter_values("account", ACCOUNTS),
            "code": filter_values("code", CODES),
            "parameter": filter_values("parameter", PARAMETERS),
            "http_status": filter_values("http_status", STATUSES),
        },
    ).map(lambda values: {name: v for name, v in values.items() if v}),
)


def _request_matches(envelope, filters: Filters) -> bool:
    if not filters.since <= envelope.occurred_at < filters.until:
        return False
    return all(
        getattr(envelope, ATTRIBUTE[name]) in filters.of(name)
        for name in ATTRIBUTE
        if filters.of(name)
    )


def _error_matches(item, filters: Filters) -> bool:
    return all(getattr(item, name) in filters.of(name) for name in filters.error_values)


def brute_force(envelopes, filters: Filters, group_by: str):
    """The contract, counted one envelope at a time."""
    selected = []  # (envelope index, envelope, [selected errors])
    for index, envelope in enumerate(envelopes):
        if not _request_matches(envelope, filters):
            continue
        chosen = [item for item in envelope.errors if _error_matches(item, filters)]
        if filters.error_values and not chosen:
            continue
        selected.append((index, envelope, chosen))
    totals = {
        "requests": len(selected),
        "failed_requests": sum(envelope.failed for _, envelope, _ in selected),
        "errors": sum(len(chosen) for _, _, chosen in selected),
    }
    errors, requests = defaultdict(int), defaultdict(set)
    for index, envelope, chosen in selected:
        if not envelope.failed:
            continue
        if group_by in ERROR_DIMENSIONS:
            for item in chosen:
                errors[getattr(item, group_by)] += 1
                requests[getattr(item, group_by)].add(index)
        else:
            key = getattr(envelope, ATTRIBUTE[group_by])
            errors[key] += len(chosen)
            requests[key].add(index)
    groups = {key: (errors[key], len(requests[key])) for key in requests}
    return totals, groups


def store_partly_folded(records: list[dict]) -> list:
    """The first half of the records folded into the rollups, the rest still queued: a read
    must count both, once each."""
    half = len(records) // 2
    folded = store_records(records[:half]) if half else []
    fold_pending_rollups()
    return folded + store_records(records[half:])


@pytest.mark.django_db(transaction=True)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    records=st.lists(record_strategy, min_size=1, max_size=40),
    filters=filters_strategy,
    group_by=st.sampled_from(list(DIMENSIONS)),
)
def test_summary_equals_brute_force(records, filters, group_by):
    truncate_ingest_tables()
    envelopes = store_partly_folded(records)

    answer = aggregates.summary(filters, group_by)

    expected_totals, expected_groups = brute_force(envelopes, filters, group_by)
    assert answer["totals"] == expected_totals
    got = {g["key"]: (g["errors"], g["failed_requests"]) for g in answer["groups"]}
    assert got == expected_groups


@pytest.mark.django_db(transaction=True)
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    records=st.lists(record_strategy, min_size=1, max_size=40),
    filters=filters_strategy,
    interval=st.sampled_from(["hour", "day"]),
)
def test_timeseries_buckets_add_up_to_totals(records, filters, interval):
    truncate_ingest_tables()
    envelopes = store_partly_folded(records)

    buckets = aggregates.timeseries(filters, interval)

    expected, _ = brute_force(envelopes, filters, "account")
    for name in ("requests", "failed_requests", "errors"):
        assert sum(bucket[name] for bucket in buckets) == expected[name]
    for bucket in buckets:
        width = aggregates.INTERVALS[interval]
        window = Filters(
            max(bucket["start"], filters.since),
            min(bucket["start"] + width, filters.until),
            filters.values,
        )
        assert bucket["requests"] == brute_force(envelopes, window, "account")[0]["requests"]


@pytest.mark.django_db(transaction=True)
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    records=st.lists(record_strategy, min_size=1, max_size=30),
    filters=filters_strategy,
    outer=st.sampled_from(["account", "http_status"]),
    inner=st.sampled_from(["code", "parameter"]),
)
def test_two_dimension_groups_equal_brute_force(records, filters, outer, inner):
    truncate_ingest_tables()
    envelopes = store_partly_folded(records)

    rows = aggregates.grouped_counts(filters, (outer, inner), failed_only=True)

    expected = {}
    for value in {getattr(e, ATTRIBUTE[outer]) for e in envelopes}:
        narrowed = filters.narrowed(**{outer: (value,)})
        if filters.of(outer) and value not in filters.of(outer):
            continue
        _, groups = brute_force(envelopes, narrowed, inner)
        expected |= {(value, key): counts for key, counts in groups.items()}
    got = {key: (counts.errors, counts.failed_requests) for key, counts in rows}
    assert got == expected


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("group_by", list(DIMENSIONS))
def test_unfiltered_summaries_over_days_count_each_request_once_per_group(group_by):
    """Unfiltered ranges of whole days are read from the one-dimension rollups."""
    truncate_ingest_tables()
    twice = [error("INVALID_PARAMETER", "start_time"), error("INVALID_PARAMETER", "start_time")]
    at = [START + timedelta(hours=hours) for hours in (30, 5, 40)]
    envelopes = store_records(
        [
            make_record(status=400, account="a1", errors=twice, occurred_at=at[0]),
            make_record(status=400, account=None, errors=twice[:1], occurred_at=at[1]),
            make_record(status=200, account="a1", occurred_at=at[2]),
        ]
    )
    fold_pending_rollups()  # whole days of folded batches: the one-dimension rollups answer
    filters = Filters(START, START + timedelta(days=3))

    answer = aggregates.summary(filters, group_by)

    expected_totals, expected_groups = brute_force(envelopes, filters, group_by)
    assert answer["totals"] == expected_totals == {"requests": 3, "failed_requests": 2, "errors": 3}
    assert {
        g["key"]: (g["errors"], g["failed_requests"]) for g in answer["groups"]
    } == expected_groups
