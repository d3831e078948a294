"""The official X Ads SDK (twitter-ads), unmodified, against a local fake API.

Only configuration is changed: the SDK's API host (the ``domain`` request option, or the
``Request._DEFAULT_DOMAIN`` constant for resource calls such as ``client.accounts``).
"""

import pytest
import requests_oauthlib
from capture_servers import ApiReply, ads_error
from twitter_ads import http as sdk_http
from twitter_ads.client import Client
from twitter_ads.error import BadRequest
from twitter_ads.http import Request

from ingest.client import instrument_twitter_ads, uninstrument_twitter_ads

ACCOUNTS = "/12/accounts"
ORIGINAL_PERFORM = Request.perform


def sdk_client(**options) -> Client:
    return Client(
        "consumer-key-secret",
        "consumer-secret",
        "access-token-secret",
        "access-token-secret-secret",
        options=options,
    )


@pytest.fixture
def client(shipper):
    """An instrumented SDK client; the SDK is restored afterwards."""
    yield instrument_twitter_ads(sdk_client(), shipper)
    uninstrument_twitter_ads()
    assert sdk_http.OAuth1Session is requests_oauthlib.OAuth1Session
    assert Request.perform is ORIGINAL_PERFORM


def test_an_sdk_request_is_captured(client, fake_api, ingest_server, shipper):
    response = Request(client, "get", ACCOUNTS, domain=fake_api.url).perform()
    assert response.code == 200 and response.body["data"]
    assert shipper.flush(5)
    [record] = ingest_server.stored
    assert (record["method"], record["url"], record["status"]) == (
        "GET",
        fake_api.url + ACCOUNTS,
        200,
    )
    assert record["body"] == response.body
    assert record["headers"]["x-transaction-id"] == "tx-1"


def test_every_retry_attempt_is_captured(fake_api, ingest_server, shipper):
    client = sdk_client(retry_max=3, retry_delay=10, retry_on_status=[500, 503])
    instrument_twitter_ads(client, shipper)
    try:
        fake_api.script[ACCOUNTS] = [
            ApiReply(503, b"", {"retry-after": "1"}),
            ApiReply(500, ads_error("INTERNAL_ERROR", "Internal error")),
        ]
        response = Request(client, "get", ACCOUNTS, domain=fake_api.url).perform()
    finally:
        uninstrument_twitter_ads()
    assert response.code == 200
    assert shipper.flush(5)
    assert [record["status"] for record in ingest_server.stored] == [503, 500, 200]
    assert ingest_server.stored[1]["body"]["errors"][0]["code"] == "INTERNAL_ERROR"


def test_an_sdk_error_is_captured_and_still_raised(client, fake_api, ingest_server, shipper):
    fake_api.script[ACCOUNTS] = [ApiReply(400, ads_error("INVALID_PARAMETER", "Bad", "count"))]
    with pytest.raises(BadRequest):
        Request(client, "get", ACCOUNTS, params={"count": "x"}, domain=fake_api.url).perform()
    assert shipper.flush(5)
    [record] = ingest_server.stored
    assert record["url"] == f"{fake_api.url}{ACCOUNTS}?count=x"
    assert record["body"]["errors"][0]["parameter"] == "count"


def test_sdk_resource_calls_are_captured(client, fake_api, ingest_server, shipper, monkeypatch):
    monkeypatch.setattr(Request, "_DEFAULT_DOMAIN", fake_api.url)
    path = "/11/accounts/abc1"
    body = {"data": {"id": "abc1", "name": "Shop"}, "request": {"params": {"account_id": "abc1"}}}
    fake_api.script[path] = [ApiReply(200, body, {"content-type": "application/json"})]
    account = client.accounts("abc1")
    assert account.name == "Shop"
    assert shipper.flush(5)
    [record] = ingest_server.stored
    assert (record["url"], record["body"]) == (fake_api.url + path, body)


def test_only_instrumented_clients_are_captured(client, fake_api, ingest_server, shipper):
    instrument_twitter_ads(client, shipper)  # idempotent: still one record per attempt
    Request(sdk_client(), "get", ACCOUNTS + "/other", domain=fake_api.url).perform()
    Request(client, "get", ACCOUNTS, domain=fake_api.url).perform()
    assert shipper.flush(5)
    assert [record["url"] for record in ingest_server.stored] == [fake_api.url + ACCOUNTS]
    assert len(fake_api.paths) == 2


def test_uninstrumenting_one_client_stops_its_capture(client, fake_api, ingest_server, shipper):
    uninstrument_twitter_ads(client)
    assert Request.perform is ORIGINAL_PERFORM  # no instrumented client left: restored
    Request(client, "get", ACCOUNTS, domain=fake_api.url).perform()
    assert shipper.flush(5)
    assert ingest_server.posts == []


def test_oauth_credentials_never_reach_the_ingest_server(client, fake_api, ingest_server, shipper):
    params = {"oauth_token": "param-secret"}
    Request(client, "get", ACCOUNTS, params=params, domain=fake_api.url).perform()
    assert shipper.flush(5)
    assert b"secret" not in ingest_server.posts[0].body
