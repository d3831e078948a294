"""`manage.py import_envelopes`: NDJSON and HAR files through the API's validation into the
database; importing again stores nothing twice."""

import base64
import io
import json

import pytest
from django.core.management import CommandError, call_command
from helpers import error, make_record, truncate_ingest_tables

from ingest.management.commands import import_envelopes
from ingest.models import Envelope, Error


@pytest.fixture
def empty_stack(stack):
    """The `stack` fixture with the ingest tables emptied first: counts stay exact even
    after a manual run left rows in the test database."""
    truncate_ingest_tables()


def run_import(*paths) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_envelopes", *map(str, paths), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def ndjson(tmp_path):
    lines = [
        json.dumps(make_record(status=200, account="imp1")),
        json.dumps(
            make_record(status=400, account="imp1", errors=[error("INVALID_PARAMETER", "count")])
        ),
        "{not json",
        json.dumps({"url": "/12/accounts", "body": None}),
        "",
        json.dumps(make_record(status=404, account="imp2", id="client-7")),
        json.dumps(make_record(status=200, account="imp2", note="unknown field")),
        json.dumps(make_record(status=503, account="imp3")),
    ]
    path = tmp_path / "records.ndjson"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_ndjson_rejects_bad_lines_by_number_and_stores_the_rest(empty_stack, ndjson):
    out, err = run_import(ndjson)

    assert f"{ndjson}: line 3: not valid JSON" in err
    assert f"{ndjson}: line 4: status is required" in err
    assert f"{ndjson}: line 7: unknown field 'note'" in err
    assert "line 1:" not in err and "line 5" not in err
    assert "7 records: 4 stored, 0 already stored, 3 rejected" in out
    assert sorted(Envelope.objects.values_list("status", flat=True)) == [200, 400, 404, 503]
    assert Envelope.objects.get(status=404).client_id == "client-7"
    assert Error.objects.get(envelope__status=400).parameter == "count"


def test_importing_again_stores_nothing_twice(empty_stack, ndjson, tmp_path):
    run_import(ndjson)

    out, _ = run_import(ndjson)
    copy = tmp_path / "copy.ndjson"
    copy.write_bytes(ndjson.read_bytes())
    out_copy, _ = run_import(copy)

    assert "4 records" not in out and "0 stored, 4 already stored, 3 rejected" in out
    assert "0 stored, 4 already stored" in out_copy
    assert Envelope.objects.count() == 4


def test_an_interrupted_import_done_again_stores_only_the_chunks_it_had_not(
    empty_stack, tmp_path, monkeypatch
):
    monkeypatch.setattr(import_envelopes, "CHUNK_RECORDS", 2)
    lines = [json.dumps(make_record(status=200 + index)) for index in range(5)]
    whole = tmp_path / "whole.ndjson"
    whole.write_text("\n".join(lines) + "\n")
    store = import_envelopes.store_envelopes
    calls = []

    def store_then_fail(*args):
        calls.append(args[0])
        if len(calls) > 1:
            raise KeyboardInterrupt
        return store(*args)

    monkeypatch.setattr(import_envelopes, "store_envelopes", store_then_fail)
    with pytest.raises(KeyboardInterrupt):
        run_import(whole)
    assert Envelope.objects.count() == 1  # lines 1, 2-3 and 4-5 are the chunks
    monkeypatch.setattr(import_envelopes, "store_envelopes", store)

    out, _ = run_import(whole)

    assert "5 records: 4 stored, 1 already stored" in out
    assert Envelope.objects.count() == 5


def test_a_record_id_dedups_across_files(empty_stack, tmp_path):
    record = make_record(status=400, account="imp1", id="same-id")
    first, second = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    first.write_text(json.dumps(record) + "\n")
    second.write_text("\n" + json.dumps(record) + "\n")

    run_import(first, second)

    assert Envelope.objects.count() == 1


def har_entry(status: int, url: str, content: dict, headers: list | None = None) -> dict:
    return {
        "startedDateTime": "2026-11-20T10:00:00.000Z",
        "time": 87.5,
        "request": {"method": "GET", "url": url, "headers": []},
        "response": {"status": status, "headers": headers or [], "content": content},
    }


@pytest.fixture
def har(tmp_path):
    api = "https://ads-api.x.com/12/accounts/har1"
    errors = {"errors": [error("INVALID_PARAMETER", "start_time")], "request": {"params": {}}}
    entries = [
        har_entry(
            400,
            f"{api}/campaigns?oauth_token=secret",
            {"mimeType": "application/json", "text": json.dumps(errors)},
            [
                {"name": "x-transaction-id", "value": "tx-har"},
                {"name": "set-cookie", "value": "session=secret"},
            ],
        ),
        har_entry(
            200,
            f"{api}/line_items",
            {
                "mimeType": "application/json;charset=utf-8",
                "encoding": "base64",
                "text": base64.b64encode(b'{"data": [], "request": {"params": {}}}').decode(),
            },
        ),
        har_entry(0, f"{api}/cards", {"mimeType": "x-unknown", "size": 0}),
        har_entry(404, f"{api}/promoted_tweets", {"mimeType": "text/html", "text": "<h1>no</h1>"}),
    ]
    path = tmp_path / "session.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}, indent=2))
    return path


def test_har_entries_are_stored_and_bad_ones_named_by_index(empty_stack, har):
    out, err = run_import(har)

    assert f"{har}: entry 2: status must be between 100 and 599, got 0" in err
    assert "4 records: 3 stored, 0 already stored, 1 rejected" in out
    failed = Envelope.objects.get(status=400)
    assert failed.account_id == "har1"
    assert failed.transaction_id == "tx-har"
    assert failed.duration_ms == 87.5
    assert failed.occurred_at.isoformat() == "2026-11-20T10:00:00+00:00"
    assert "secret" not in failed.url and "secret" not in json.dumps(failed.headers)
    assert Error.objects.get(envelope=failed).parameter == "start_time"
    assert Envelope.objects.get(status=200).body == {"data": [], "request": {"params": {}}}
    html = Envelope.objects.get(status=404)
    assert html.body == "<h1>no</h1>"
    assert Error.objects.get(envelope=html).code == "NOT_FOUND"

    out, _ = run_import(har)
    assert "0 stored, 3 already stored, 1 rejected" in out
    assert Envelope.objects.count() == 3


def test_files_that_cannot_be_read_are_reported(empty_stack, tmp_path, ndjson):
    broken = tmp_path / "broken.har"
    broken.write_text('{"log": {"entries": "none"}}')

    with pytest.raises(CommandError, match="2 file"):
        run_import(tmp_path / "missing.ndjson", broken, ndjson)

    assert Envelope.objects.count() == 4
