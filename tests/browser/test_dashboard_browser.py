"""The dashboard in headless Chromium: drill-down and back, untrusted strings, 390 px phones,
the copy button and auto-refresh. Screenshots of every page land in test-artifacts/."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import error, make_record, store_records
from playwright.sync_api import Page, expect

from ingest.models import Envelope

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
XSS = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
DRILL_CODE = "INVALID_PARAMETER"
NEWEST_INVALID_TX = "tx-invalid-newest"
NEWEST_INVALID_PARAMS = {
    "account_id": "acc-alpha",
    "entity": "CAMPAIGN",
    "start_time": "",
    "end_time": "",
    "granularity": "DAY",
}
XSS_TX = "tx-untrusted"
PHONE = {"width": 390, "height": 844}
WIDTHS = {1280: {"width": 1280, "height": 900}, 390: PHONE}


@dataclass(frozen=True)
class Dataset:
    requests: int
    failed_requests: int
    errors: int
    drill_code_errors: int
    drill_code_requests: int
    drill_id: int
    xss_id: int


def _record(now, minutes_ago, status, account, errors=None, tx=None, params=None, headers=None):
    """A record `minutes_ago` before `now`; `params` are added to the echoed request params."""
    record = make_record(
        status=status,
        account=account,
        errors=errors,
        endpoint_path="line_items" if minutes_ago % 2 else "campaigns",
        occurred_at=now - timedelta(minutes=minutes_ago),
        headers={"x-transaction-id": tx or f"tx-{account}-{minutes_ago}", **(headers or {})},
        duration_ms=120.5,
    )
    record["body"]["request"]["params"].update(params or {})
    return record


@pytest.fixture
def dataset(stack) -> Dataset:
    """Three accounts over the last day: failures of four codes, successes, and one envelope
    whose strings are all HTML that would run script if it were not escaped."""
    now = datetime.now(UTC).replace(microsecond=0)
    invalid = [
        error(DRILL_CODE, "start_time", 'Expected time, got "" for start_time'),
        error(DRILL_CODE, "end_time", 'Expected time, got "" for end_time'),
    ]
    untrusted = {**error("BRAND_NEW_CODE", XSS, message=XSS), "details": XSS, "value": XSS}
    records = [
        _record(now, 12, 400, "acc-alpha", invalid, NEWEST_INVALID_TX, NEWEST_INVALID_PARAMS),
        _record(now, 95, 400, "acc-alpha", invalid[:1]),
        _record(now, 300, 400, "acc-beta", invalid[1:], params={"entity": "LINE_ITEM"}),
        _record(now, 20, 503, "acc-beta", [error("OVER_CAPACITY", message="Over capacity")]),
        _record(now, 310, 503, "acc-beta", [error("OVER_CAPACITY", message="Over capacity")]),
        _record(now, 45, 429, "acc-gamma", [error("TOO_MANY_REQUESTS", message="Rate limit")]),
        _record(now, 8, 400, "acc-xss", [untrusted], XSS_TX, {"name": XSS}, {"x-note": XSS}),
        *(
            _record(now, minutes, 200, account)
            for minutes, account in [
                (3, "acc-alpha"),
                (30, "acc-beta"),
                (70, "acc-alpha"),
                (200, "acc-gamma"),
                (400, "acc-alpha"),
                (700, "acc-beta"),
                (1000, "acc-alpha"),
                (1300, "acc-gamma"),
            ]
        ),
    ]
    store_records(records, prefix="browser")
    return Dataset(
        requests=len(records),
        failed_requests=7,
        errors=8,
        drill_code_errors=4,
        drill_code_requests=3,
        drill_id=Envelope.objects.get(transaction_id=NEWEST_INVALID_TX).id,
        xss_id=Envelope.objects.get(transaction_id=XSS_TX).id,
    )


def total(page: Page, name: str) -> int:
    return int(page.locator(f'[data-total="{name}"]').inner_text().replace(",", ""))


def assert_runs_nothing_untrusted(page: Page) -> None:
    assert page.evaluate("window.pwned") is None
    assert page.evaluate("window.__cspViolations") == []
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("#content script:not([type='application/json'])").count() == 0


def test_drill_down_from_the_overview_to_a_failed_request_and_back(
    page, live_server, log_in, dataset
):
    base = live_server.url
    log_in(page)

    api = page.request.get(f"{base}/api/v1/errors/summary")
    assert api.ok, api.text()
    totals = api.json()["totals"]
    assert (totals["requests"], totals["failed_requests"], totals["errors"]) == (
        dataset.requests,
        dataset.failed_requests,
        dataset.errors,
    )
    for name in ("requests", "failed_requests", "errors"):
        assert total(page, name) == totals[name], name

    by_code = page.locator('section.breakdown[data-dimension="code"]')
    by_code.locator("td.key a", has_text=re.compile(f"^{DRILL_CODE}$")).click()
    page.wait_for_url(re.compile(rf"/\?(.*&)?code={DRILL_CODE}(&|$)"))
    overview_url = page.url
    chip = page.locator(".chips .chip")
    expect(chip).to_have_count(1)
    expect(chip.locator(".chip-label")).to_have_text("code")
    expect(chip.locator(".chip-value")).to_have_text(DRILL_CODE)
    narrowed = page.request.get(f"{base}/api/v1/errors/summary?code={DRILL_CODE}").json()
    assert total(page, "errors") == narrowed["totals"]["errors"] == dataset.drill_code_errors
    assert total(page, "failed_requests") == narrowed["totals"]["failed_requests"]

    page.locator("nav.nav a", has_text="Requests").click()
    page.wait_for_url(re.compile(rf"/requests/\?(.*&)?code={DRILL_CODE}(&|$)"))
    list_url = page.url
    expect(page.locator("nav.nav a[aria-current=page]")).to_have_text("Requests")
    links = page.locator("a[data-request-link]")
    expect(links).to_have_count(dataset.drill_code_requests)

    links.first.click()
    page.wait_for_url(f"{base}/requests/{dataset.drill_id}/")
    expect(page.locator("#transaction-id")).to_have_text(NEWEST_INVALID_TX)
    params = page.locator("#request-params tr").evaluate_all(
        "rows => rows.map(r => [r.querySelector('th').textContent,"
        " r.querySelector('td code').textContent])"
    )
    # an empty value is shown as "" so that it is not mistaken for a missing one
    shown = {name: '""' if value == "" else value for name, value in NEWEST_INVALID_PARAMS.items()}
    assert dict(params) == shown
    expect(page.locator("table.errors a.code")).to_have_text([DRILL_CODE, DRILL_CODE])

    page.go_back()
    assert page.url == list_url
    expect(page.locator(".chips .chip-value")).to_have_text([DRILL_CODE])
    expect(page.locator("a[data-request-link]")).to_have_count(dataset.drill_code_requests)

    page.go_back()
    assert page.url == overview_url
    assert total(page, "errors") == dataset.drill_code_errors
    assert page.log.errors() == []


def test_untrusted_strings_render_as_text_and_run_nothing(page, live_server, log_in, dataset):
    base = live_server.url
    log_in(page)

    page.goto(f"{base}/requests/{dataset.xss_id}/")
    errors_table = page.locator("table.errors")
    for column in ("parameter", "details", "value", "message"):
        index = ["code", "item", "catalog", "parameter", "details", "value", "message"].index(
            column
        )
        cell = errors_table.locator(f"tbody td:nth-child({index + 1})")
        expect(cell, column).to_have_text(XSS)
        expect(cell, column).to_be_visible()
    expect(page.locator("#request-params td", has_text="window.pwned=1")).to_have_text(XSS)
    expect(page.locator("table.kv:not(#request-params) td", has_text="pwned")).to_have_text(XSS)
    expect(page.locator("pre.json")).to_contain_text(XSS.replace('"', '\\"'))
    assert_runs_nothing_untrusted(page)

    page.goto(f"{base}/requests/?range=24h")
    expect(page.locator("td.message", has_text="window.pwned=1")).to_have_text(XSS)
    assert_runs_nothing_untrusted(page)

    page.goto(f"{base}/?range=24h")
    by_parameter = page.locator('section.breakdown[data-dimension="parameter"]')
    expect(by_parameter.locator("td.key a", has_text="window.pwned")).to_have_text(XSS)
    expect(by_parameter.locator("td.key a", has_text="window.pwned")).to_be_visible()
    expect(page.locator(".chart .uplot")).to_have_count(1)  # app.js and uPlot ran
    assert_runs_nothing_untrusted(page)

    loaded = {
        url.split("/static/", 1)[1]
        for status, url in page.log.responses
        if status == 200 and "/static/" in url
    }
    assert {"dashboard/app.js", "vendor/uplot/uPlot.iife.min.js"} <= loaded
    csp_messages = [text for _, text in page.log.console if "Content Security Policy" in text]
    assert csp_messages == []
    assert page.log.errors() == []


@pytest.mark.parametrize("width", sorted(WIDTHS, reverse=True))
def test_every_page_fits_the_width_and_is_screenshotted(
    new_page, live_server, log_in, dataset, width
):
    base = live_server.url
    page = new_page(viewport=WIDTHS[width])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    overflowing = {}

    def capture(name: str) -> None:
        page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            overflowing[name] = scroll_width

    page.goto(f"{base}/login/")
    capture("login")
    log_in(page)
    pages = {
        "overview": "/?range=24h",
        "requests": "/requests/?range=24h",
        "detail": f"/requests/{dataset.drill_id}/",
        "detail-untrusted": f"/requests/{dataset.xss_id}/",
        "codes": "/codes/?range=24h",
        "accounts": "/accounts/?range=24h",
    }
    for name, path in pages.items():
        answer = page.goto(base + path)
        assert answer.ok, f"{path}: {answer.status}"
        if name == "overview":
            expect(page.locator(".chart .uplot")).to_have_count(1)
        capture(name)

    assert overflowing == {}, f"pages wider than {width} px: {overflowing}"
    assert page.log.errors() == []


def test_copy_button_copies_the_transaction_id(new_page, live_server, log_in, dataset):
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    log_in(page)
    page.goto(f"{live_server.url}/requests/{dataset.drill_id}/")
    button = page.locator("button.copy[data-copy='#transaction-id']")

    button.click()

    page.wait_for_function(
        "button => button.textContent === 'Copied' || getSelection().toString() !== ''",
        arg=button.element_handle(),
    )
    if button.inner_text() == "Copied":
        assert page.evaluate("navigator.clipboard.readText()") == NEWEST_INVALID_TX
        expect(button).to_have_text("Copy", timeout=5_000)  # and it says so only briefly
    else:  # no clipboard: the text is selected for Ctrl+C instead
        assert page.evaluate("getSelection().toString()") == NEWEST_INVALID_TX


def test_auto_refresh_is_remembered_and_refreshes_in_place(new_page, live_server, log_in, dataset):
    page = new_page(viewport={"width": 1280, "height": 600})
    page.clock.install()  # the page's 30 s timer runs when the test says so
    log_in(page)
    page.goto(f"{live_server.url}/?range=24h&account=acc-alpha")
    url = page.url
    box = page.locator("[data-auto-refresh]")
    expect(box).not_to_be_checked()

    box.check()
    page.reload()

    expect(box).to_be_checked()
    assert page.evaluate("localStorage.getItem('xads.autoRefresh')") == "1"

    page.evaluate("window.scrollTo(0, 300)")
    page.locator("#content .totals").evaluate("node => node.setAttribute('data-stale', '')")
    with page.expect_response(lambda r: r.request.headers.get("x-refresh") == "1") as refresh:
        page.clock.run_for(30_000)
    assert refresh.value.ok
    expect(page.locator("#content .totals[data-stale]")).to_have_count(0)  # replaced
    expect(page.locator("#content .totals")).to_have_count(1)
    assert page.url == url
    assert page.evaluate("window.scrollY") == 300
    expect(page.locator(".chips .chip-value")).to_have_text(["acc-alpha"])
    expect(box).to_be_checked()

    box.uncheck()
    page.reload()
    expect(box).not_to_be_checked()
    assert page.log.errors() == []
