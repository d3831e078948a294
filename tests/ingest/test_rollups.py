"""Rollup rows counted in Python from parsed envelopes."""

from datetime import UTC, datetime

from helpers import error, make_record, parse

from ingest.rollups import (
    daily_rollups,
    decode_rollups,
    encode_rollups,
    hourly_rollups,
    merge_rollups,
)

EARLY = datetime(2026, 11, 20, 5, 10, tzinfo=UTC)
LATE = datetime(2026, 11, 20, 7, 59, tzinfo=UTC)
HOUR_5 = datetime(2026, 11, 20, 5, tzinfo=UTC)
DAY = datetime(2026, 11, 20, tzinfo=UTC)
ENDPOINT = "GET /12/accounts/:account_id/campaigns"


def repeated_code_request(occurred_at: datetime = EARLY):
    return parse(
        make_record(
            status=400,
            occurred_at=occurred_at,
            errors=[
                error("INVALID_PARAMETER", "start_time"),
                error("INVALID_PARAMETER", "end_time"),
                error("INVALID_PARAMETER", "start_time"),
                error("MISSING_PARAMETER"),
            ],
        )
    )


def test_a_request_counts_once_per_pair_code_and_parameter_on_its_first_error_with_it():
    rollups = hourly_rollups([repeated_code_request()])

    request_key = (HOUR_5, "acc1", ENDPOINT, 400)
    # errors, pair_requests, code_requests, parameter_requests, first_error_requests
    assert rollups.errors == {
        (*request_key, "INVALID_PARAMETER", "start_time"): [2, 1, 1, 1, 1],
        (*request_key, "INVALID_PARAMETER", "end_time"): [1, 1, 0, 1, 0],
        (*request_key, "MISSING_PARAMETER", None): [1, 1, 1, 1, 0],
    }
    assert rollups.requests == {request_key: [1, 1, 4]}


def test_dimension_rows_count_requests_per_value_and_requests_with_an_error_per_code():
    ok = parse(make_record(status=200, occurred_at=EARLY, account=None))
    rollups = hourly_rollups([repeated_code_request(), ok])

    dimensions = rollups.dimensions
    assert dimensions[(HOUR_5, "", None)] == [2, 1, 4]
    assert dimensions[(HOUR_5, "account", "acc1")] == [1, 1, 4]
    assert dimensions[(HOUR_5, "account", None)] == [1, 0, 0]
    assert dimensions[(HOUR_5, "http_status", "400")] == [1, 1, 4]
    assert dimensions[(HOUR_5, "code", "INVALID_PARAMETER")] == [1, 1, 3]
    assert dimensions[(HOUR_5, "parameter", "start_time")] == [1, 1, 2]
    assert dimensions[(HOUR_5, "parameter", None)] == [1, 1, 1]


def test_daily_rows_are_the_hourly_rows_summed_per_day():
    hourly = hourly_rollups([repeated_code_request(EARLY), repeated_code_request(LATE)])

    daily = daily_rollups(hourly)

    assert len(hourly.requests) == 2
    assert daily.requests == {(DAY, "acc1", ENDPOINT, 400): [2, 2, 8]}
    assert daily.dimensions[(DAY, "code", "INVALID_PARAMETER")] == [2, 2, 6]
    assert daily.errors[(DAY, "acc1", ENDPOINT, 400, "INVALID_PARAMETER", "start_time")] == [
        4,
        2,
        2,
        2,
        2,
    ]


def test_encoded_rollups_decode_to_the_same_rows():
    ok = parse(make_record(status=200, occurred_at=LATE, account=None))
    hourly = hourly_rollups([repeated_code_request(), ok])

    assert decode_rollups(encode_rollups(hourly)) == hourly


def test_merged_rollups_sum_the_rows_of_each_part():
    one = hourly_rollups([repeated_code_request()])
    two = hourly_rollups([repeated_code_request(), repeated_code_request(LATE)])

    merged = merge_rollups([one, two])

    assert merged == hourly_rollups(
        [repeated_code_request(), repeated_code_request(), repeated_code_request(LATE)]
    )
    assert one.requests == {(HOUR_5, "acc1", ENDPOINT, 400): [1, 1, 4]}  # parts are unchanged
