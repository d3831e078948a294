"""The dashboard pages: login, the same numbers as the read API, drill-down, safety."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from helpers import error, make_record, store_records

NOW = datetime.now(UTC).replace(microsecond=0)
XSS = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'


@pytest.fixture
def viewer(stack) -> Client:
    user = get_user_model().objects.create_user("viewer", password="a-long-password-123")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def envelopes(stack):
    records = [
        make_record(
            status=400,
            account="acc-a",
            occurred_at=NOW - timedelta(minutes=5 + i),
            errors=[
                error("INVALID_PARAMETER", "start_time"),
                error("INVALID_PARAMETER", "end_time"),
            ],
            headers={"x-transaction-id": f"tx-{i}"},
        )
        for i in range(3)
    ] + [
        make_record(status=404, account="acc-b", occurred_at=NOW - timedelta(minutes=20)),
        make_record(status=200, account="acc-b", occurred_at=NOW - timedelta(minutes=30)),
        make_record(
            status=400,
            account="acc-c",
            occurred_at=NOW - timedelta(minutes=40),
            errors=[error("BRAND_NEW_CODE", XSS, message=XSS)],
        ),
    ]
    return store_records(records)


def number(html: str, name: str) -> int:
    match = re.search(rf'data-total="{name}">([\d,]+)<', html)
    assert match, f"no {name} total on the page"
    return int(match.group(1).replace(",", ""))


@pytest.mark.parametrize("path", ["/", "/requests/", "/codes/", "/accounts/", "/requests/1/"])
def test_pages_need_a_login(stack, path):
    answer = Client().get(path)

    assert answer.status_code == 302
    assert answer["Location"].startswith("/login/")


def test_an_api_token_does_not_open_pages(api_client):
    assert api_client.get("/").status_code == 302


def test_login_page_logs_in(stack):
    get_user_model().objects.create_user("ops", password="a-long-password-123")
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]

    answer = client.post(
        "/login/",
        {"username": "ops", "password": "a-long-password-123", "csrfmiddlewaretoken": token},
    )

    assert answer.status_code == 302
    assert client.get("/").status_code == 200


def test_overview_totals_equal_the_read_api(viewer, envelopes):
    html = viewer.get("/", {"range": "24h"}).content.decode()
    api = viewer.get("/api/v1/errors/summary", {"since": (NOW - timedelta(hours=2)).isoformat()})

    totals = api.json()["totals"]
    assert number(html, "requests") == totals["requests"] == 6
    assert number(html, "failed_requests") == totals["failed_requests"] == 5
    assert number(html, "errors") == totals["errors"] == 8


def test_overview_filtered_by_code_links_every_breakdown_row(viewer, envelopes):
    html = viewer.get("/", {"code": "INVALID_PARAMETER"}).content.decode()

    assert number(html, "errors") == 6
    assert number(html, "failed_requests") == 3
    assert "?code=INVALID_PARAMETER&amp;account=acc-a" in html
    assert 'aria-label="Remove filter code INVALID_PARAMETER"' in html


def test_overview_without_any_envelope_explains_how_to_start(viewer):
    html = viewer.get("/").content.decode()

    assert "No envelopes yet" in html
    assert "create_token" in html


def test_request_detail_shows_params_transaction_id_and_flags(viewer, envelopes):
    listing = viewer.get("/requests/", {"account": "acc-a"}).content.decode()
    first_id = re.search(r'href="/requests/(\d+)/" data-request-link', listing)[1]

    html = viewer.get(f"/requests/{first_id}/").content.decode()

    assert '<code id="transaction-id">tx-0</code>' in html
    assert "GET /12/accounts/:account_id/campaigns" in html
    assert re.search(r"<th scope=\"row\">account_id</th><td[^>]*><code>acc-a</code>", html)
    assert html.count('href="/?code=INVALID_PARAMETER"') == 2


def test_untrusted_strings_render_as_text_and_csp_forbids_inline_script(viewer, envelopes):
    listing = viewer.get("/requests/", {"account": "acc-c"}).content.decode()
    request_id = re.search(r'href="/requests/(\d+)/" data-request-link', listing)[1]

    for answer in (viewer.get(f"/requests/{request_id}/"), viewer.get("/", {"range": "24h"})):
        html = answer.content.decode()
        assert XSS not in html
        assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in html
        policy = answer["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_the_whole_body_can_be_downloaded(viewer, envelopes):
    listing = viewer.get("/requests/", {"account": "acc-a"}).content.decode()
    request_id = re.search(r'href="/requests/(\d+)/" data-request-link', listing)[1]

    answer = viewer.get(f"/requests/{request_id}/body/")

    assert answer["Content-Disposition"].startswith("attachment;")
    assert b'"INVALID_PARAMETER"' in answer.content


def test_successful_requests_are_listed_only_on_request(viewer, envelopes):
    failed = viewer.get("/requests/").content.decode()
    everything = viewer.get("/requests/", {"all": "1"}).content.decode()

    assert failed.count("data-request-link") == 5
    assert everything.count("data-request-link") == 6


def test_codes_page_lists_unknown_codes_seen_first_and_the_whole_catalog(viewer, envelopes):
    html = viewer.get("/codes/").content.decode()

    codes = re.findall(r'class="code"[^>]*>([A-Z_]+)<', html)
    assert codes[0] == "BRAND_NEW_CODE"
    assert {"INVALID_PARAMETER", "LOCK_ACQUISITION_TIMEOUT", "OVER_CAPACITY"} <= set(codes)


def test_accounts_page_sorts_by_failure_rate(viewer, envelopes):
    html = viewer.get("/accounts/", {"sort": "failure_rate", "dir": "asc"}).content.decode()

    order = re.findall(r'href="/\?account=([\w-]+)"', html)
    assert order[:3] == ["acc-b", "acc-a", "acc-c"]  # 50%, 100%, 100% (ties keep key order)


def test_a_bad_filter_gets_a_clear_400(viewer):
    answer = viewer.get("/", {"http_status": "teapot"})

    assert answer.status_code == 400
    assert "http_status" in answer.content.decode()


def test_unknown_request_gets_the_styled_404(viewer):
    answer = viewer.get("/requests/987654/")

    assert answer.status_code == 404
    assert "Not found" in answer.content.decode()


def test_request_detail_shows_batch_item_errors_rate_limits_and_deprecation(viewer):
    record = make_record(
        status=200,
        account="acc-z",
        headers={
            "x-api-warn": "deprecated endpoint",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": "1795000000",
        },
    )
    record["body"]["operation_errors"] = [[], [error("INVALID_PARAMETER", "name")]]
    store_records([record])
    listing = viewer.get("/requests/", {"account": "acc-z"}).content.decode()
    request_id = re.search(r'href="/requests/(\d+)/" data-request-link', listing)[1]

    html = viewer.get(f"/requests/{request_id}/").content.decode()

    assert '<td class="num hide-narrow">#1</td>' in html
    assert "deprecated endpoint" in html
    assert "<code>x-rate-limit-remaining</code>: 0" in html
