"""Browser fixtures: Debian's headless Chromium driven by Playwright, against `live_server`.

The live server runs in a thread of this process on the real PostgreSQL; tests that use it
write their data with the `stack` fixture (committed, so the server thread sees it)."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
FAILURES = ARTIFACTS / "failures"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 10_000
USERNAME = "browser-ops"
PASSWORD = "a-long-password-123"
# Records every CSP violation of the page; init scripts are injected by the DevTools
# protocol, outside the page's CSP.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI + " "
    + event.sourceFile + ":" + event.lineNumber);
});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an asyncio loop in the main thread (in a greenlet), which
    # Django's async-safety check mistakes for async code around every ORM call. Nothing
    # here runs concurrently with the ORM, so the check is switched off while it lives.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        playwright = sync_playwright().start()
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
        finally:
            playwright.stop()


@pytest.fixture(autouse=True)
def _browser_settings(settings):
    """Static files by their plain names, and a fast password hasher.

    Production settings name static files by their manifest hashes, which only WhiteNoise
    (from `collectstatic`'s STATIC_ROOT) can serve; the live server's staticfiles handler
    looks files up with the finders, i.e. by their plain names in static/. The files are
    the same, and this way the tests need no `collectstatic` either."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class PageLog:
    """What a page reported: console messages, uncaught exceptions, responses."""

    def __init__(self, page: Page):
        self.console: list[tuple[str, str]] = []
        self.exceptions: list[str] = []
        self.responses: list[tuple[int, str]] = []
        page.on("console", lambda message: self.console.append((message.type, message.text)))
        page.on("pageerror", lambda exc: self.exceptions.append(str(exc)))
        page.on("response", lambda response: self.responses.append((response.status, response.url)))

    def errors(self) -> list[str]:
        return [text for kind, text in self.console if kind == "error"] + self.exceptions


@pytest.fixture
def new_page(browser, request) -> Iterator[Callable[..., Page]]:
    """Pages in fresh contexts (no cookies, no storage); `page.log` holds a PageLog."""
    contexts: list[BrowserContext] = []
    pages: list[Page] = []

    def open_page(**context_options) -> Page:
        context = browser.new_context(**{"viewport": DESKTOP, **context_options})
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_LISTENER)
        contexts.append(context)
        page = context.new_page()
        page.log = PageLog(page)
        pages.append(page)
        return page

    yield open_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        FAILURES.mkdir(parents=True, exist_ok=True)
        for index, page in enumerate(pages):
            if not page.is_closed():
                page.screenshot(path=FAILURES / f"{request.node.name}-{index}.png", full_page=True)
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Page:
    return new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.report_call = report
    return report


@pytest.fixture
def user(stack):
    return get_user_model().objects.create_user(USERNAME, password=PASSWORD)


@pytest.fixture
def log_in(live_server, user) -> Callable[[Page], None]:
    """Log a page in through the real login form; it lands on the overview."""

    def submit(page: Page) -> None:
        page.goto(f"{live_server.url}/login/")
        form = page.locator("main form")
        form.locator("input[name=username]").fill(USERNAME)
        form.locator("input[name=password]").fill(PASSWORD)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert page.url == f"{live_server.url}/", f"login landed on {page.url}"

    return submit
