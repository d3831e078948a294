"""requests and httpx hooks: real clients, a local fake X Ads API, a local ingest server."""

import asyncio

import httpx
import requests
from capture_servers import ApiReply, FakeAdsApi, ads_error

from ingest.client import instrument_httpx_client, instrument_requests_session

CAMPAIGNS = "/12/accounts/abc1/campaigns"


def assert_campaigns_record(record: dict, api: FakeAdsApi) -> None:
    """The record of a successful GET of CAMPAIGNS?count=5&oauth_token=..."""
    assert record["method"] == "GET"
    assert record["url"] == f"{api.url}{CAMPAIGNS}?count=5&oauth_token=[redacted]"
    assert record["status"] == 200
    assert record["body"]["request"]["params"] == {
        "account_id": "abc1",
        "count": "5",
        "oauth_token": "[redacted]",  # the API's echo of the parameters
    }
    headers = {name.lower(): value for name, value in record["headers"].items()}
    assert headers["x-transaction-id"].startswith("tx-")
    assert headers["set-cookie"] == "[redacted]"
    assert record["duration_ms"] > 0
    assert record["occurred_at"].endswith("Z")


# --- requests -----------------------------------------------------------------------------


def test_requests_session_responses_reach_the_ingest_server(fake_api, ingest_server, shipper):
    session = instrument_requests_session(requests.Session(), shipper)
    params = {"count": "5", "oauth_token": "tok-secret"}
    response = session.get(fake_api.url + CAMPAIGNS, params=params)
    assert response.json()["data"]  # the caller's response is untouched
    assert shipper.flush(5)
    [record] = ingest_server.stored
    assert_campaigns_record(record, fake_api)
    assert b"secret" not in ingest_server.posts[0].body


def test_requests_error_envelopes_and_html_bodies_are_captured(fake_api, ingest_server, shipper):
    fake_api.script["/12/accounts/abc1/line_items"] = [
        ApiReply(400, ads_error("INVALID_PARAMETER", "Expected time", "start_time")),
        ApiReply(404, b"<html>Not Found</html>", {"content-type": "text/html"}),
    ]
    session = instrument_requests_session(requests.Session(), shipper)
    for _ in range(2):
        session.post(fake_api.url + "/12/accounts/abc1/line_items", data={"name": "x"})
    assert shipper.flush(5)
    first, second = ingest_server.stored
    assert (first["method"], first["status"]) == ("POST", 400)
    assert first["body"]["errors"][0]["parameter"] == "start_time"
    assert (second["status"], second["body"]) == (404, "<html>Not Found</html>")


def test_instrumenting_twice_captures_once(fake_api, ingest_server, shipper):
    session = requests.Session()
    instrument_requests_session(session, shipper)
    instrument_requests_session(session, shipper)
    session.get(fake_api.url + CAMPAIGNS)
    assert shipper.flush(5)
    assert len(ingest_server.stored) == 1


def test_a_streamed_response_is_left_for_the_caller_to_read(fake_api, ingest_server, shipper):
    session = instrument_requests_session(requests.Session(), shipper)
    with session.get(fake_api.url + CAMPAIGNS, stream=True) as response:
        assert b'"data"' in b"".join(response.iter_content(64))
    assert shipper.flush(5)
    [record] = ingest_server.stored
    assert (record["status"], record["body"]) == (200, None)


def test_a_failing_hook_never_breaks_the_request(fake_api, ingest_server, shipper):
    def break_status(response, **kwargs):
        response.status_code = "not a status"  # another library's faulty hook

    session = requests.Session()
    session.hooks["response"].append(break_status)
    instrument_requests_session(session, shipper)
    response = session.get(fake_api.url + CAMPAIGNS)
    assert response.json()["data"]
    assert shipper.stats()["hook_errors"] == 1


# --- httpx --------------------------------------------------------------------------------


def test_httpx_client_responses_reach_the_ingest_server(fake_api, ingest_server, shipper):
    params = {"count": "5", "oauth_token": "tok-secret"}
    with instrument_httpx_client(httpx.Client(), shipper) as client:
        response = client.get(fake_api.url + CAMPAIGNS, params=params)
    assert response.json()["data"]
    assert shipper.flush(5)
    [record] = ingest_server.stored
    assert_campaigns_record(record, fake_api)


def test_httpx_async_client_responses_reach_the_ingest_server(fake_api, ingest_server, shipper):
    params = {"count": "5", "oauth_token": "tok-secret"}

    async def call() -> list[dict]:
        async with instrument_httpx_client(httpx.AsyncClient(), shipper) as client:
            responses = await asyncio.gather(
                *(client.get(fake_api.url + CAMPAIGNS, params=params) for _ in range(3))
            )
        return [response.json() for response in responses]

    assert all(body["data"] for body in asyncio.run(call()))
    assert shipper.flush(5)
    records = ingest_server.stored
    assert len(records) == 3
    for record in records:
        assert_campaigns_record(record, fake_api)


def test_httpx_streamed_responses_stay_readable(fake_api, ingest_server, shipper):
    with (
        instrument_httpx_client(httpx.Client(), shipper) as client,
        client.stream("GET", fake_api.url + CAMPAIGNS) as response,
    ):
        assert b'"data"' in b"".join(response.iter_bytes())
    assert shipper.flush(5)
    assert ingest_server.stored[0]["body"]["data"]


def test_a_failing_httpx_hook_never_breaks_the_request(fake_api, ingest_server, shipper):
    def break_status(response):
        response.status_code = "not a status"

    client = httpx.Client(event_hooks={"response": [break_status]})
    with instrument_httpx_client(client, shipper):
        instrument_httpx_client(client, shipper)  # idempotent
        response = client.get(fake_api.url + CAMPAIGNS)
    assert response.status_code == "not a status"
    assert shipper.stats()["hook_errors"] == 1
