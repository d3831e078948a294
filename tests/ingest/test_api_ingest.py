"""The ingest contract at the HTTP boundary: answers for good and bad batches."""

import json

import orjson
import pytest
from django.test import override_settings
from helpers import make_record

from ingest.intake import BATCH_MAX_BYTES, BATCH_MAX_RECORDS
from ingest.queue import redis_client

URL = "/api/v1/ingest"


def post(client, payload, raw: bytes | None = None):
    data = raw if raw is not None else orjson.dumps(payload)
    return client.post(URL, data=data, content_type="application/json")


def queued_batches() -> int:
    return redis_client().llen("ingest")


def test_valid_batch_is_accepted_and_queued(ingest_client):
    answer = post(ingest_client, [make_record(), make_record(status=404)])

    assert answer.status_code == 202
    assert answer.json() == {"accepted": 2, "rejected": []}
    assert queued_batches() == 1


def test_bad_records_are_rejected_by_index_and_the_rest_accepted(ingest_client):
    records = [make_record(), {"status": True, "url": "/x", "body": None}, make_record()]
    answer = post(ingest_client, records)

    assert answer.status_code == 202
    body = answer.json()
    assert body["accepted"] == 2
    assert [item["index"] for item in body["rejected"]] == [1]
    assert "status" in body["rejected"][0]["error"]


def test_a_batch_of_only_rejected_records_queues_nothing(ingest_client):
    answer = post(ingest_client, [{"url": "/x", "body": None}])

    assert answer.status_code == 202
    assert answer.json()["accepted"] == 0
    assert queued_batches() == 0


@pytest.mark.parametrize(
    "raw, message",
    [(b"{not json", "not valid JSON"), (b'{"status": 200}', "JSON array"), (b"", "not valid")],
)
def test_a_body_that_is_not_a_json_array_gets_400(ingest_client, raw, message):
    answer = post(ingest_client, None, raw=raw)

    assert answer.status_code == 400
    assert message in answer.json()["error"]


def test_too_many_records_gets_413(ingest_client):
    answer = post(ingest_client, [make_record()] * (BATCH_MAX_RECORDS + 1))

    assert answer.status_code == 413
    assert str(BATCH_MAX_RECORDS) in answer.json()["error"]


def test_too_many_bytes_gets_413(ingest_client):
    padding = "x" * 900_000
    records = [{**make_record(), "body": padding} for _ in range(12)]
    assert len(orjson.dumps(records)) > BATCH_MAX_BYTES

    answer = post(ingest_client, records)

    assert answer.status_code == 413


def test_a_record_over_one_megabyte_is_rejected_with_its_index(ingest_client):
    records = [make_record(), {**make_record(), "body": "y" * 1_100_000}]

    answer = post(ingest_client, records)

    assert answer.status_code == 202
    assert answer.json()["accepted"] == 1
    assert answer.json()["rejected"][0]["index"] == 1
    assert "bytes" in answer.json()["rejected"][0]["error"]


def test_missing_token_gets_401(stack, client):
    answer = post(client, [make_record()])

    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == "Bearer"


def test_unknown_token_gets_401(stack, client):
    answer = client.post(
        URL,
        data=b"[]",
        content_type="application/json",
        headers={"authorization": "Bearer xads_not-a-real-token"},
    )

    assert answer.status_code == 401


def test_token_without_ingest_scope_gets_403(read_client):
    answer = post(read_client, [make_record()])

    assert answer.status_code == 403
    assert "ingest" in answer.json()["error"]


def test_broker_down_gets_503_and_nothing_is_lost_silently(ingest_client):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        redis_client.cache_clear()
        answer = post(ingest_client, [make_record()])
    redis_client.cache_clear()

    assert answer.status_code == 503
    assert answer["Retry-After"]
    assert queued_batches() == 0


def test_a_record_nested_too_deeply_is_rejected_alone(ingest_client):
    deep = []
    for _ in range(300):
        deep = [deep]
    records = [make_record(), {**make_record(), "body": deep}]

    answer = post(ingest_client, None, raw=json.dumps(records).encode())  # orjson stops at 254

    assert answer.json()["accepted"] == 1
    assert answer.json()["rejected"][0]["index"] == 1
    assert "nested too deeply" in answer.json()["rejected"][0]["error"]


def test_a_nul_anywhere_rejects_only_its_record(ingest_client):
    records = [make_record(), {**make_record(), "body": {"message": "a\u0000b"}}]

    answer = post(ingest_client, records)

    assert answer.json()["accepted"] == 1
    assert "NUL" in answer.json()["rejected"][0]["error"]
