"""The read API: answers, pagination, authentication and clear 400s for bad parameters."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from helpers import error, make_record, store_records

from ingest.filters import Filters
from ingest.queries import aggregates

T0 = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
RANGE = {"since": "2026-11-20T00:00:00Z", "until": "2026-11-21T00:00:00Z"}


@pytest.fixture
def envelopes(stack):
    records = [
        make_record(
            status=400,
            account="a1",
            occurred_at=T0 + timedelta(minutes=i),
            errors=[error("INVALID_PARAMETER", "start_time")],
        )
        for i in range(5)
    ] + [
        make_record(status=200, account=None, occurred_at=T0 + timedelta(hours=2)),
        make_record(status=404, account="a2", occurred_at=T0 + timedelta(hours=2, minutes=5)),
    ]
    return store_records(records)


def test_summary_by_account_counts_failed_requests_with_null_for_no_account(read_client, envelopes):
    answer = read_client.get("/api/v1/errors/summary", {"group_by": "account", **RANGE})

    assert answer.status_code == 200
    assert answer.json() == {
        "totals": {"requests": 7, "failed_requests": 6, "errors": 6},
        "groups": [
            {"key": "a1", "errors": 5, "failed_requests": 5},
            {"key": "a2", "errors": 1, "failed_requests": 1},
        ],
    }


def test_filter_value_null_selects_requests_without_account(read_client, envelopes):
    answer = read_client.get("/api/v1/errors/summary", {"account": "null", **RANGE})

    assert answer.json()["totals"] == {"requests": 1, "failed_requests": 0, "errors": 0}


def test_repeating_a_filter_means_any_of_its_values(read_client, envelopes):
    answer = read_client.get(
        "/api/v1/errors/summary?account=a1&account=a2&group_by=http_status"
        "&since=2026-11-20T00:00:00Z&until=2026-11-21T00:00:00Z"
    )

    assert [(g["key"], g["errors"]) for g in answer.json()["groups"]] == [(400, 5), (404, 1)]


def test_the_api_answers_what_the_shared_query_answers(read_client, envelopes):
    since, until = T0 - timedelta(hours=1), T0 + timedelta(hours=5)
    answer = read_client.get(
        "/api/v1/errors/summary",
        {"group_by": "endpoint", "since": since.isoformat(), "until": until.isoformat()},
    )

    assert answer.json() == aggregates.summary(Filters(since, until), "endpoint")


def test_timeseries_has_every_hour_of_the_range_in_utc(read_client, envelopes):
    answer = read_client.get("/api/v1/errors/timeseries", {"interval": "hour", **RANGE})

    buckets = answer.json()["buckets"]
    assert len(buckets) == 24
    assert buckets[5] == {
        "start": "2026-11-20T05:00:00Z",
        "requests": 5,
        "failed_requests": 5,
        "errors": 5,
    }
    assert buckets[7]["requests"] == 2
    assert sum(bucket["requests"] for bucket in buckets) == 7


def test_requests_are_listed_newest_first_across_pages(read_client, envelopes):
    seen, cursor = [], None
    while True:
        params = {"failed": "true", "limit": 2, **RANGE, **({"cursor": cursor} if cursor else {})}
        page = read_client.get("/api/v1/requests", params).json()
        seen += page["results"]
        cursor = page["next"]
        if cursor is None:
            break

    assert len(seen) == 6
    times = [item["occurred_at"] for item in seen]
    assert times == sorted(times, reverse=True)
    assert len({item["id"] for item in seen}) == 6
    assert seen[0]["codes"] == ["NOT_FOUND"]


def test_requests_filtered_by_code_and_parameter(read_client, envelopes):
    page = read_client.get(
        "/api/v1/requests", {"code": "INVALID_PARAMETER", "parameter": "start_time", **RANGE}
    ).json()

    assert len(page["results"]) == 5
    assert {item["first_message"] for item in page["results"]} == {"boom"}


def test_request_detail_has_the_whole_envelope(read_client, envelopes):
    first = read_client.get("/api/v1/requests", {"account": "a2", **RANGE}).json()["results"][0]

    detail = read_client.get(f"/api/v1/requests/{first['id']}").json()

    assert detail["endpoint"] == "GET /12/accounts/:account_id/campaigns"
    assert detail["request_params"] == {"account_id": "a2"}
    assert detail["errors"][0]["code"] == "NOT_FOUND"
    assert detail["errors"][0]["synthesized"] is True


def test_unknown_request_gets_404(read_client):
    assert read_client.get("/api/v1/requests/999999").status_code == 404


@pytest.mark.parametrize(
    "path, params, parameter",
    [
        ("/api/v1/errors/summary", {"group_by": "colour"}, "group_by"),
        ("/api/v1/errors/summary", {"since": "yesterday"}, "since"),
        (
            "/api/v1/errors/summary",
            {"since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"},
            "since",
        ),
        ("/api/v1/errors/summary", {"http_status": "abc"}, "http_status"),
        ("/api/v1/errors/summary", {"acount": "a1"}, "acount"),
        ("/api/v1/errors/timeseries", {"interval": "week"}, "interval"),
        (
            "/api/v1/errors/timeseries",
            {"interval": "hour", "since": "2020-01-01T00:00:00Z"},
            "interval",
        ),
        ("/api/v1/requests", {"cursor": "garbage"}, "cursor"),
        ("/api/v1/requests", {"limit": "0"}, "limit"),
        ("/api/v1/requests", {"failed": "maybe"}, "failed"),
    ],
)
def test_bad_parameters_get_400_naming_the_parameter(read_client, path, params, parameter):
    answer = read_client.get(path, params)

    assert answer.status_code == 400
    assert answer.json()["error"].startswith(f"{parameter}:")


def test_a_token_without_read_scope_gets_403(ingest_client):
    assert ingest_client.get("/api/v1/errors/summary").status_code == 403


def test_no_credentials_get_401(stack):
    assert Client().get("/api/v1/errors/summary").status_code == 401


def test_a_logged_in_dashboard_user_may_read(stack):
    user = get_user_model().objects.create_user("viewer", password="pw-long-enough-123")
    client = Client()
    client.force_login(user)

    assert client.get("/api/v1/errors/summary").status_code == 200


def test_the_openapi_document_describes_every_route(stack):
    document = Client().get("/api/v1/openapi.json").json()

    assert {
        "/api/v1/ingest",
        "/api/v1/errors/summary",
        "/api/v1/errors/timeseries",
        "/api/v1/requests",
        "/api/v1/requests/{envelope_id}",
    } <= set(document["paths"])
    summary_parameters = document["paths"]["/api/v1/errors/summary"]["get"]["parameters"]
    assert {"since", "until", "account", "code", "group_by"} <= {
        p["name"] for p in summary_parameters
    }
