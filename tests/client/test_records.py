"""make_record: what one response becomes, checked against the server's own validator."""

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
import requests

from ingest.client.bodies import BODY_MAX_BYTES, decode_body
from ingest.client.records import format_time, make_record
from ingest.validate import check_record_size, validate_record


def build(body, content_type=None, **overrides) -> dict:
    parts = {
        "method": "get",
        "url": "https://ads-api.x.com/12/accounts/abc1/campaigns?count=5",
        "status": 200,
        "headers": {"content-type": content_type or "", "x-transaction-id": "tx-1"},
        "body": body,
        "content_type": content_type,
        "elapsed_seconds": 0.1234,
        "occurred_at": datetime(2026, 11, 20, 5, 0, 0, 123000, tzinfo=UTC),
    }
    record = make_record(**{**parts, **overrides})
    validate_record(record)
    check_record_size(record)
    return record


def test_a_json_response_becomes_a_valid_record():
    record = build(b'{"data": [], "request": {"params": {"count": "5"}}}', "application/json")
    assert record == {
        "method": "GET",
        "url": "https://ads-api.x.com/12/accounts/abc1/campaigns?count=5",
        "status": 200,
        "headers": {"content-type": "application/json", "x-transaction-id": "tx-1"},
        "body": {"data": [], "request": {"params": {"count": "5"}}},
        "occurred_at": "2026-11-20T05:00:00.123Z",
        "duration_ms": 123.4,
    }


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'[{"id": 1}]', None, [{"id": 1}]),
        (b'  {"a": 1}', "text/plain", {"a": 1}),
        ('{"a": 1}', "application/json", {"a": 1}),
        (b'"just a string"', "application/json", '"just a string"'),
        (b"{not json", "application/json", "{not json"),
        (b"<html><h1>Not Found</h1></html>", "text/html", "<html><h1>Not Found</h1></html>"),
        (b"", "application/json", ""),
        (None, "application/json", None),
        ("café".encode("latin-1"), "text/plain; charset=ISO-8859-1", "café"),
        ("café".encode(), "text/plain; charset=no-such-charset", "café"),
        (b"bad \xff byte", "text/plain", "bad \ufffd byte"),
        (b"nul\x00byte", None, "nul\ufffdbyte"),
        (
            b"\x1f\x8b\x08\x00",
            "application/gzip",
            "[binary body not captured: 4 bytes of application/gzip]",
        ),
    ],
)
def test_bodies_are_decoded_as_the_contract_wants(body, content_type, expected):
    assert build(body, content_type)["body"] == expected


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<p>" + b"x" * 2_000_000, "text/html"),
        (b'{"data": "' + b"y" * 1_500_000 + b'"}', "application/json"),
        ("\x01" * 200_000, "text/plain"),  # each escapes to 6 bytes of JSON
        ('"' * 600_000, None),
    ],
)
def test_large_bodies_are_cut_with_a_marker_to_fit_the_record_limit(body, content_type):
    decoded = decode_body(body, content_type)
    assert isinstance(decoded, str)
    assert len(orjson.dumps(decoded)) <= BODY_MAX_BYTES
    assert decoded.endswith("bytes]") and "truncated by the capture client" in decoded
    assert decoded[:2] == (body.decode() if isinstance(body, bytes) else body)[:2]
    build(body, content_type)  # and the record is valid and under 1 MB


def test_a_body_just_under_the_limit_is_kept_whole():
    body = "z" * (BODY_MAX_BYTES - 2)
    assert decode_body(body, "text/plain") == body


def test_credentials_are_redacted_before_the_record_exists():
    record = build(
        b'{"request": {"params": {"oauth_token": "t", "count": "1"}}}',
        "application/json",
        url="https://u:pw@ads-api.x.com/12/accounts?oauth_token=t&OAuth_Nonce=n&count=1",
        headers={
            "Set-Cookie": "s=1",
            "cookie": "c=2",
            "AUTHORIZATION": "OAuth x",
            "Proxy-Authorization": "Basic y",
            "x-rate-limit-remaining": "10",
        },
    )
    assert record["url"] == (
        "https://u:[redacted]@ads-api.x.com/12/accounts"
        "?oauth_token=[redacted]&OAuth_Nonce=[redacted]&count=1"
    )
    assert record["body"]["request"]["params"] == {"oauth_token": "[redacted]", "count": "1"}
    assert record["headers"] == {
        "Set-Cookie": "[redacted]",
        "cookie": "[redacted]",
        "AUTHORIZATION": "[redacted]",
        "Proxy-Authorization": "[redacted]",
        "x-rate-limit-remaining": "10",
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/12/accounts?oauth%5Ftoken=t&x=1", "/12/accounts?oauth%5Ftoken=[redacted]&x=1"),
        ("/12/accounts?OAUTH_TOKEN=t", "/12/accounts?OAUTH_TOKEN=[redacted]"),
        ("https://a:b@ads-api.x.com/12", "https://a:[redacted]@ads-api.x.com/12"),
        ("https://ads-api.x.com/12/accounts?count=5", "https://ads-api.x.com/12/accounts?count=5"),
    ],
)
def test_urls_are_redacted_with_the_servers_rules(url, expected):
    assert build(b"", url=url)["url"] == expected


def test_requests_headers_are_redacted_with_lower_case_names():
    headers = requests.structures.CaseInsensitiveDict({"Set-Cookie": "s", "X-Transaction-Id": "t"})
    record = build(b"", headers=headers)
    assert record["headers"] == {"set-cookie": "[redacted]", "x-transaction-id": "t"}


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02T03:04:05.000Z"),
        (datetime(2026, 1, 2, 3, 4, 5), "2026-01-02T03:04:05.000Z"),  # naive: UTC
        (
            datetime(2026, 1, 2, 5, 4, 5, 678900, tzinfo=timezone(timedelta(hours=2))),
            "2026-01-02T03:04:05.678Z",
        ),
    ],
)
def test_times_are_iso_8601_utc_with_z(moment, expected):
    assert format_time(moment) == expected


def test_occurred_at_defaults_to_now():
    before = datetime.now(UTC)
    stamp = build(b"", occurred_at=None)["occurred_at"]
    assert stamp.endswith("Z")
    assert before - timedelta(seconds=1) <= datetime.fromisoformat(stamp) <= datetime.now(UTC)


@pytest.mark.parametrize("elapsed", [None, -1.0, float("nan"), float("inf")])
def test_an_unknown_or_impossible_duration_is_left_out(elapsed):
    assert build(b"", elapsed_seconds=elapsed)["duration_ms"] is None
