"""Reading NDJSON and HAR files into ingest records (pure: no database)."""

import base64

import pytest

from ingest.importing import (
    BINARY_PLACEHOLDER,
    Entry,
    NotAHarFile,
    har_body,
    har_entries,
    har_headers,
    har_record,
    looks_like_har,
    ndjson_entries,
)


def test_ndjson_lines_are_numbered_from_one_and_blank_lines_skipped():
    lines = [b'\xef\xbb\xbf{"status": 200}\n', b"\n", b"{oops\n", b'{"status": 404}']
    entries = list(ndjson_entries(lines))
    assert [entry.position for entry in entries] == [1, 3, 4]
    assert entries[0] == Entry(1, record={"status": 200})
    assert entries[1].record is None and entries[1].problem.startswith("not valid JSON")


def test_har_files_are_recognised_by_name_or_content():
    assert looks_like_har("capture.HAR", b"")
    assert looks_like_har("export.json", b'\xef\xbb\xbf{\n  "log": {"version": "1.2"')
    assert not looks_like_har("records.ndjson", b'{"status": 200, "url": "/12/accounts"}')


def test_har_headers_merge_repeats_and_drop_pseudo_headers():
    headers = [
        {"name": ":status", "value": "200"},
        {"name": "set-cookie", "value": "a=1"},
        {"name": "set-cookie", "value": "b=2"},
        {"name": "x-transaction-id", "value": "tx1"},
        {"name": "broken"},
    ]
    assert har_headers(headers) == {"set-cookie": "a=1, b=2", "x-transaction-id": "tx1"}


def test_har_bodies_json_text_base64_and_missing():
    assert har_body({"mimeType": "application/json", "text": '{"data": []}'}) == {"data": []}
    assert har_body({"mimeType": "application/json", "text": "not json"}) == "not json"
    assert har_body({"mimeType": "text/html", "text": "<p>hi</p>"}) == "<p>hi</p>"
    encoded = base64.b64encode(b'{"errors": []}').decode()
    assert har_body(
        {"mimeType": "application/json; charset=utf-8", "text": encoded, "encoding": "base64"}
    ) == {"errors": []}
    png = {"mimeType": "image/png", "text": base64.b64encode(b"\x89PNG").decode()}
    assert har_body({**png, "encoding": "base64"}) == BINARY_PLACEHOLDER.format(
        size=4, media_type="image/png"
    )
    assert har_body({"mimeType": "application/json", "size": 0}) is None
    with pytest.raises(ValueError, match="base64"):
        har_body({"mimeType": "text/plain", "text": "***", "encoding": "base64"})


def test_a_har_entry_becomes_a_record():
    entry = {
        "startedDateTime": "2026-11-20T10:00:00.123+01:00",
        "time": 152.5,
        "request": {"method": "GET", "url": "https://ads-api.x.com/12/accounts/abc1"},
        "response": {
            "status": 404,
            "headers": [{"name": "content-type", "value": "text/html"}],
            "content": {"mimeType": "text/html", "text": "<html></html>"},
        },
    }
    assert har_record(entry) == {
        "method": "GET",
        "url": "https://ads-api.x.com/12/accounts/abc1",
        "status": 404,
        "headers": {"content-type": "text/html"},
        "body": "<html></html>",
        "occurred_at": "2026-11-20T10:00:00.123+01:00",
        "duration_ms": 152.5,
    }
    assert "duration_ms" not in har_record({**entry, "time": -1})


def test_har_entries_name_the_entries_that_cannot_be_read():
    data = b'{"log": {"entries": [{"request": {}}, {"response": {}}]}}'
    entries = har_entries(data)
    assert [(entry.position, entry.problem) for entry in entries] == [
        (0, "the entry has no response object"),
        (1, "the entry has no request object"),
    ]
    with pytest.raises(NotAHarFile):
        har_entries(b'{"log": {}}')
    with pytest.raises(NotAHarFile):
        har_entries(b"{")
