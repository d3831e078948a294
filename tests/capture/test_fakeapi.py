"""The fake X Ads API: answers, error shapes, rates, spikes and the stats it keeps. Pure:
no database, no broker (one test goes through its HTTP server)."""

import json
from collections import Counter

import pytest
import requests

from ingest.fakeapi import ErrorRates, FakeAdsApi, load_rates, start_server
from ingest.fakeapi.routes import match_route
from ingest.fakeapi.traffic import TrafficPlan, make_accounts

CAMPAIGNS = "/12/accounts/abc1/campaigns"
STATS = "/12/stats/accounts/abc1"
BATCH = "/12/batch/accounts/abc1/campaigns"
WINDOW = "start_time=2026-11-01T00:00:00Z&end_time=2026-11-08T00:00:00Z"


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def body(reply) -> object:
    return json.loads(reply.body)


def batch_body(*names: str | None) -> bytes:
    items = [
        {"operation_type": "Create", "params": {"name": name} if name else {}} for name in names
    ]
    return json.dumps(items).encode()


def never_failing(**kwargs) -> FakeAdsApi:
    return FakeAdsApi(ErrorRates(0.0), seed=1, **kwargs)


# --- successes -------------------------------------------------------------------------------


def test_a_success_has_data_and_echoes_the_account_and_query():
    reply = never_failing().handle("GET", f"{CAMPAIGNS}?with_deleted=true&count=5")

    assert reply.status == 200
    payload = body(reply)
    assert payload["request"] == {
        "params": {"account_id": "abc1", "with_deleted": "true", "count": "5"}
    }
    assert payload["data_type"] == "campaign"
    assert payload["data"] and all(item["account_id"] == "abc1" for item in payload["data"])
    assert reply.headers["content-type"].startswith("application/json")


def test_an_item_answers_one_object_with_its_id():
    payload = body(never_failing().handle("GET", f"{CAMPAIGNS}/8wk12"))
    assert payload["data"]["id"] == "8wk12"


def test_stats_answer_one_row_per_entity():
    target = f"{STATS}?entity=CAMPAIGN&entity_ids=a1,b2&{WINDOW}"
    payload = body(never_failing().handle("GET", target))
    assert [row["id"] for row in payload["data"]] == ["a1", "b2"]


def test_every_answer_has_a_transaction_id_and_rate_limit_headers():
    api = never_failing()
    for target in (CAMPAIGNS, "/12/accounts", "/not/a/route"):
        headers = api.handle("GET", target).headers
        assert len(headers["x-transaction-id"]) == 16
        assert {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"} <= set(
            headers
        )
    account_headers = api.handle("GET", CAMPAIGNS).headers
    assert account_headers["x-account-rate-limit-limit"] == "2000"
    assert int(account_headers["x-account-rate-limit-remaining"]) < 2000


def test_deprecated_endpoints_warn():
    api = never_failing()
    assert "x-api-warn" in api.handle("GET", "/12/accounts/abc1/promoted_tweets").headers
    assert "x-api-warn" not in api.handle("GET", CAMPAIGNS).headers


def test_unknown_routes_and_methods_are_refused_in_json():
    api = never_failing()
    unknown = api.handle("GET", "/12/accounts/abc1/nothing_here")
    assert unknown.status == 404 and unknown.codes == ("ROUTE_NOT_FOUND",)
    wrong_method = api.handle("DELETE", STATS)
    assert wrong_method.status == 405 and wrong_method.codes == ("METHOD_NOT_ALLOWED",)
    assert wrong_method.headers["allow"] == "GET"


# --- refusals whatever the error rate ---------------------------------------------------------


def test_stats_without_times_is_one_missing_parameter_error_per_time():
    reply = never_failing().handle("GET", f"{STATS}?entity=CAMPAIGN")
    assert reply.status == 400
    assert [(e["code"], e["parameter"]) for e in body(reply)["errors"]] == [
        ("MISSING_PARAMETER", "start_time"),
        ("MISSING_PARAMETER", "end_time"),
    ]


def test_an_unreadable_time_is_invalid_parameter_as_in_the_reference():
    reply = never_failing().handle("GET", f"{STATS}?start_time=&end_time=2026-11-08T00:00:00Z")
    assert reply.status == 400
    assert body(reply) == {
        "errors": [
            {
                "code": "INVALID_PARAMETER",
                "message": 'Expected time, got "" for start_time',
                "parameter": "start_time",
                "details": "invalid date",
                "value": "",
            }
        ],
        "request": {
            "params": {"account_id": "abc1", "start_time": "", "end_time": "2026-11-08T00:00:00Z"}
        },
    }


def test_a_window_ending_before_it_starts_is_refused():
    reply = never_failing().handle(
        "GET", f"{STATS}?start_time=2026-11-08T00:00:00Z&end_time=2026-11-01T00:00:00Z"
    )
    assert reply.codes == ("INVALID_TIME_WINDOW",)


# --- batch -----------------------------------------------------------------------------------


def test_a_batch_answers_operation_errors_aligned_with_its_items():
    reply = never_failing().handle("POST", BATCH, batch_body("a", None, "c", None))

    payload = body(reply)
    assert reply.status == 400
    assert payload["data"] == []
    assert len(payload["operation_errors"]) == 4
    assert payload["operation_errors"][0] == payload["operation_errors"][2] == []
    for entry in (payload["operation_errors"][1], payload["operation_errors"][3]):
        assert [(e["code"], e["parameter"]) for e in entry] == [("MISSING_PARAMETER", "name")]
    assert reply.codes == ("MISSING_PARAMETER", "MISSING_PARAMETER")
    assert reply.error_count == 2


def test_a_batch_without_item_errors_answers_one_object_per_item():
    reply = never_failing().handle("POST", BATCH, batch_body("a", "b"))
    payload = body(reply)
    assert reply.status == 200
    assert payload["operation_errors"] == [[], []]
    assert [item["name"] for item in payload["data"]] == ["a", "b"]


def test_batch_items_fail_at_the_error_rate():
    api = FakeAdsApi(ErrorRates(accounts={"abc1": 0.5}), seed=3)
    entries = []
    for _ in range(40):
        reply = api.handle("POST", BATCH, batch_body("a", "b", "c"))
        if reply.headers.get("content-type", "").startswith("application/json"):
            entries += body(reply).get("operation_errors", [])
    assert any(entries) and not all(entries)
    assert all(isinstance(entry, list) for entry in entries)


def test_a_batch_without_a_list_of_operations_is_refused():
    reply = never_failing().handle("POST", BATCH, b'{"not": "a list"}')
    assert reply.status == 400 and reply.codes == ("INVALID_PARAMETER",)


# --- error shapes ----------------------------------------------------------------------------


def failing_replies(count: int = 400) -> list:
    api = FakeAdsApi(ErrorRates(1.0), seed=11)
    targets = [CAMPAIGNS, f"{CAMPAIGNS}/8wk12", f"{STATS}?{WINDOW}"]
    return [api.handle("GET", targets[index % 3]) for index in range(count)] + [
        api.handle("POST", CAMPAIGNS, b"name=x", "application/x-www-form-urlencoded")
        for _ in range(count // 4)
    ]


@pytest.fixture(scope="module")
def failures() -> list:
    return failing_replies()


def test_every_reply_fails_at_rate_one(failures):
    assert all(reply.failed for reply in failures)


def test_several_errors_with_parameter_details_and_value(failures):
    several = [r for r in failures if r.status == 400 and len(r.codes) > 1]
    assert several
    for error in body(several[0])["errors"]:
        assert error["code"] == "INVALID_PARAMETER"
        assert {"parameter", "details", "value", "message"} <= set(error)


def test_html_404(failures):
    html = [r for r in failures if r.headers.get("content-type", "").startswith("text/html")]
    assert html and all(r.status == 404 and r.body.startswith(b"<!DOCTYPE html>") for r in html)
    assert all(r.codes == () and r.error_count == 1 for r in html)


def test_json_404_names_what_was_not_found(failures):
    codes = {r.codes[0] for r in failures if r.status == 404 and r.codes}
    assert {"NOT_FOUND", "CAMPAIGN_NOT_FOUND"} <= codes


def test_empty_500(failures):
    empty = [r for r in failures if r.status == 500]
    assert empty and all(r.body == b"" for r in empty)


def test_503_over_capacity_says_when_to_retry(failures):
    over = [r for r in failures if r.status == 503]
    assert over and all(r.codes == ("OVER_CAPACITY",) for r in over)
    assert all(1 <= int(r.headers["retry-after"]) <= 30 for r in over)


def test_429_has_exhausted_rate_limit_headers(failures):
    limited = [r for r in failures if r.status == 429]
    assert limited and all(r.codes == ("TOO_MANY_REQUESTS",) for r in limited)
    for reply in limited:
        headers = reply.headers
        assert headers["x-rate-limit-remaining"] == "0"
        assert headers["x-account-rate-limit-remaining"] == "0"
        assert int(headers["x-rate-limit-reset"]) > 1_700_000_000
        assert headers["x-account-rate-limit-limit"] == "2000"
        assert "x-account-rate-limit-reset" in headers


def test_authentication_and_write_errors(failures):
    codes = Counter(code for reply in failures for code in reply.codes)
    assert codes["UNAUTHORIZED_ACCESS"] + codes["UNAUTHORIZED_CLIENT_APPLICATION"] > 0
    assert codes["MISSING_PARAMETER"] > 0 and codes["TOO_MANY_CAMPAIGNS"] > 0


# --- rates and spikes --------------------------------------------------------------------------


def failure_share(api: FakeAdsApi, target: str, count: int = 50) -> float:
    return sum(api.handle("GET", target).failed for _ in range(count)) / count


def test_rates_per_account_and_per_endpoint():
    rates = ErrorRates(
        0.0, accounts={"bad": 1.0}, endpoints={"GET /12/accounts/:account_id/line_items": 1.0}
    )
    api = FakeAdsApi(rates, seed=2)
    assert failure_share(api, "/12/accounts/bad/campaigns") == 1.0
    assert failure_share(api, "/12/accounts/good/line_items") == 1.0
    assert failure_share(api, "/12/accounts/good/campaigns") == 0.0


def test_rates_load_from_a_config_file(tmp_path):
    config = tmp_path / "rates.json"
    config.write_text(json.dumps({"accounts": {"abc": 0.5}, "endpoints": {"GET /12/x": 0.3}}))
    rates = load_rates(0.1, config)
    assert (rates.default, rates.accounts, rates.endpoints) == (
        0.1,
        {"abc": 0.5},
        {"GET /12/x": 0.3},
    )
    config.write_text(json.dumps({"accounts": {"abc": 2}}))
    with pytest.raises(ValueError, match="between 0 and 1"):
        load_rates(0.1, config)


def test_a_spike_raises_the_rate_of_one_account_for_a_while():
    clock = FakeClock()
    api = FakeAdsApi(ErrorRates(0.0, clock=clock), seed=4, clock=clock)
    order = json.dumps({"account": "abc1", "error_rate": 1, "seconds": 120}).encode()

    started = api.handle("POST", "/_control/spike", order)

    assert started.status == 200
    assert body(started)["spike"] == {
        "account": "abc1",
        "endpoint": None,
        "error_rate": 1.0,
        "until": clock.now + 120,
    }
    assert failure_share(api, CAMPAIGNS) == 1.0
    assert failure_share(api, "/12/accounts/other/campaigns") == 0.0
    clock.now += 121
    assert failure_share(api, CAMPAIGNS) == 0.0
    assert api.stats()["spikes"] == []


def test_a_bad_spike_order_is_refused():
    api = never_failing()
    assert api.handle("POST", "/_control/spike", b'{"error_rate": 3}').status == 400
    assert api.handle("POST", "/_control/spike", b"[]").status == 400
    assert api.handle("POST", "/_control/spike", b'{"seconds": 0}').status == 400


# --- stats and determinism ---------------------------------------------------------------------


def test_stats_count_what_was_served(failures):
    api = FakeAdsApi(ErrorRates(0.4), seed=5)
    plan = TrafficPlan(make_accounts(3), seed=5)
    replies = []
    for _ in range(300):
        call = plan.next_call()
        data = json.dumps(call.json).encode() if call.json is not None else b""
        replies.append(api.handle(call.method, call.path, data))
    api.handle("GET", "/_control/stats")  # control requests are not counted

    stats = api.stats()

    assert stats["requests"] == 300
    assert stats["failed"] == sum(r.failed for r in replies) > 0
    assert stats["failed"] == sum(n for s, n in stats["by_status"].items() if int(s) >= 400)
    assert stats["errors"] == sum(r.error_count for r in replies)
    assert stats["by_status"] == {
        str(s): n for s, n in sorted(Counter(r.status for r in replies).items())
    }
    codes = Counter(code for r in replies for code in r.codes)
    assert {code: c["errors"] for code, c in stats["by_code"].items()} == dict(codes)
    unnamed = Counter(r.status for r in replies if r.failed and not r.codes)
    assert stats["unnamed_failures"] == {str(s): n for s, n in sorted(unnamed.items())}
    assert sum(c["requests"] for c in stats["by_endpoint"].values()) == 300
    assert sum(c["requests"] for c in stats["by_account"].values()) == 300


def test_the_same_seed_gives_the_same_answers():
    def answers(seed: int) -> list:
        api = FakeAdsApi(ErrorRates(0.5), seed=seed, clock=FakeClock())
        return [api.handle("GET", CAMPAIGNS) for _ in range(30)]

    assert answers(9) == answers(9)
    assert answers(9) != answers(10)


def test_planned_traffic_uses_only_served_routes_and_methods():
    plan = TrafficPlan(make_accounts(5), seed=1)
    for _ in range(500):
        call = plan.next_call()
        match = match_route(call.method, call.path.partition("?")[0])
        assert match is not None and call.method in match.route.methods, call


# --- over HTTP -------------------------------------------------------------------------------


def test_the_http_server_serves_the_api_and_its_controls():
    server = start_server(FakeAdsApi(ErrorRates(0.0), seed=1))
    try:
        with requests.Session() as session:
            answer = session.get(f"{server.url}{CAMPAIGNS}?count=2")
            spike = session.post(
                f"{server.url}/_control/spike", json={"error_rate": 1, "seconds": 9}
            )
            failed = session.post(f"{server.url}{BATCH}", json=[{"params": {"name": "a"}}])
            stats = session.get(f"{server.url}/_control/stats").json()
    finally:
        server.stop()
    assert answer.status_code == 200 and answer.json()["request"]["params"]["count"] == "2"
    assert answer.headers["x-transaction-id"]
    assert spike.status_code == 200 and failed.status_code >= 400
    assert stats["requests"] == 2 and stats["by_status"]["200"] == 1
    assert stats["spikes"][0]["error_rate"] == 1.0
