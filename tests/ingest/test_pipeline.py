"""End to end: HTTP ingest -> Redis -> a real Celery worker -> PostgreSQL -> read API."""

import orjson
import pytest
from django.db import connection
from helpers import error, make_record, wait_for

from ingest.models import Envelope

HOSTILE = [
    "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "\"quoted\" 'single' `back` \\ backslash",
    "'; DROP TABLE ingest_envelope; --",
    "Ünïcödé 日本語 😀👍🏽",
    "m" * 200_000,
]


def ingest(client, records) -> dict:
    answer = client.post(
        "/api/v1/ingest", data=orjson.dumps(records), content_type="application/json"
    )
    assert answer.status_code == 202, answer.content
    return answer.json()


def stored(count: int) -> None:
    wait_for(lambda: Envelope.objects.count() == count, what=f"{count} stored envelopes")


def get(client, path: str, **params):
    answer = client.get(path, params)
    assert answer.status_code == 200, answer.content
    return answer.json()


@pytest.fixture
def since():
    return "2026-11-01T00:00:00Z"


def test_ingested_envelopes_come_back_in_the_aggregates(api_client, worker, since):
    records = [
        make_record(
            status=400,
            account="a1",
            errors=[
                error("INVALID_PARAMETER", "start_time"),
                error("INVALID_PARAMETER", "end_time"),
            ],
        ),
        make_record(status=404, account="a2", errors=[error("NOT_FOUND")]),
        make_record(status=200, account="a1"),
        make_record(status=503, account=None, body=""),
    ]
    records[3]["body"] = ""
    ingest(api_client, records)
    stored(4)

    summary = get(api_client, "/api/v1/errors/summary", group_by="code", since=since)

    assert summary["totals"] == {"requests": 4, "failed_requests": 3, "errors": 4}
    assert summary["groups"] == [
        {"key": "INVALID_PARAMETER", "errors": 2, "failed_requests": 1},
        {"key": "NOT_FOUND", "errors": 1, "failed_requests": 1},
        {"key": "SERVICE_UNAVAILABLE", "errors": 1, "failed_requests": 1},
    ]
    by_account = get(api_client, "/api/v1/errors/summary", group_by="account", since=since)
    assert {g["key"]: g["errors"] for g in by_account["groups"]} == {"a1": 2, "a2": 1, None: 1}


def test_every_string_comes_back_exactly_as_sent(api_client, worker, since):
    errors = [error("INVALID_PARAMETER", text, message=text) for text in HOSTILE]
    errors[0]["details"], errors[0]["value"], errors[0]["custom_field"] = "invalid date", "", [1]
    record = make_record(status=400, errors=errors, headers={"x-transaction-id": HOSTILE[0]})
    record["body"]["note"] = HOSTILE
    ingest(api_client, [record])
    stored(1)

    page = get(api_client, "/api/v1/requests", failed="true", since=since)
    detail = get(api_client, f"/api/v1/requests/{page['results'][0]['id']}")

    assert [item["message"] for item in detail["errors"]] == HOSTILE
    first = detail["errors"][0]
    assert (first["details"], first["value"], first["custom_field"]) == ("invalid date", "", [1])
    assert detail["body"]["note"] == HOSTILE
    assert detail["transaction_id"] == HOSTILE[0]
    assert detail["request_params"] == {"account_id": "acc1"}


def test_secrets_never_reach_the_database(api_client, worker, since):
    record = make_record(
        headers={
            "Authorization": "OAuth oauth_signature=s3cret",
            "Set-Cookie": "sid=s3cret",
            "x-transaction-id": "abc",
        },
    )
    record["url"] += "?oauth_token=s3cret&count=10"
    ingest(api_client, [record])
    stored(1)

    row = Envelope.objects.values_list("url", "headers").get()

    assert "s3cret" not in str(row)
    assert row[0].endswith("?oauth_token=[redacted]&count=10")


def test_a_repeated_id_is_stored_once_and_the_first_copy_wins(api_client, worker, since):
    first = make_record(status=400, errors=[error("FIRST")], id="req-1")
    second = make_record(status=400, errors=[error("SECOND")], id="req-1")
    ingest(api_client, [first, second])
    stored(1)
    answer = ingest(api_client, [make_record(id="req-1"), make_record(id="req-2")])
    assert answer["accepted"] == 2
    stored(2)

    page = get(api_client, "/api/v1/requests", client_id="req-1", since=since)

    assert [item["codes"] for item in page["results"]] == [["FIRST"]]
    summary = get(api_client, "/api/v1/errors/summary", group_by="code", since=since)
    assert summary["totals"] == {"requests": 2, "failed_requests": 1, "errors": 1}


def database_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_the_worker_keeps_its_database_connection_from_one_batch_to_the_next(api_client, worker):
    batches = 6
    ingest(api_client, [make_record(status=200)])  # the worker connects for this one
    stored(1)
    before = database_sessions()

    for count in range(2, batches + 2):
        ingest(api_client, [make_record(status=200)])
        stored(count)

    # A new PostgreSQL session per batch would add one session per batch at least.
    assert database_sessions() - before < batches // 2
