"""End to end: simulated traffic against the fake API, captured by the real client, through
the ingest API, Redis and a real Celery worker into PostgreSQL; the read API then reports
exactly what the fake API says it served."""

import time

import pytest
import requests
from helpers import truncate_ingest_tables

from ingest.catalog import generic_code_for_status
from ingest.fakeapi import ErrorRates, FakeAdsApi, start_server
from ingest.management.commands.simulate import Simulation, run_simulation
from ingest.models import Envelope
from ingest.tokens import issue_token


@pytest.fixture
def empty_stack(stack):
    """The `stack` fixture with the ingest tables emptied first: counts stay exact even
    after a manual run left rows in the test database."""
    truncate_ingest_tables()


@pytest.fixture
def fake_api():
    server = start_server(FakeAdsApi(ErrorRates(0.3), seed=6))
    yield server
    server.stop()


def wait_until_stored(count: int, timeout: float = 30.0) -> None:
    """Poll the database (not `conftest.wait_for`: several conftest modules share that name
    when the whole suite is collected)."""
    deadline = time.monotonic() + timeout
    while Envelope.objects.count() != count:
        assert time.monotonic() < deadline, f"{Envelope.objects.count()} stored, not {count}"
        time.sleep(0.1)


def read_summary(base_url: str, token: str, group_by: str) -> dict:
    answer = requests.get(
        f"{base_url}/api/v1/errors/summary",
        params={"group_by": group_by},
        headers={"authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def expected_codes(served: dict) -> dict[str, int]:
    """Errors by code as the dashboard names them: codes of the bodies, and for a failed
    answer naming none, the generic code of its status."""
    errors = {code: counts["errors"] for code, counts in served["by_code"].items()}
    for status, count in served["unnamed_failures"].items():
        code = generic_code_for_status(int(status))
        errors[code] = errors.get(code, 0) + count
    return errors


def test_the_read_api_reports_what_the_fake_api_served(
    empty_stack, make_worker, live_server, fake_api
):
    make_worker("capture-e2e-worker")
    simulation = Simulation(
        api_url=fake_api.url,
        ingest_url=live_server.url,
        token=issue_token("e2e ingest", ["ingest"]),
        accounts=3,
        rate=30,
        seconds=3,
        progress_every=1,
    )
    said = []

    outcome = run_simulation(simulation, say=said.append)

    served = requests.get(f"{fake_api.url}/_control/stats", timeout=10).json()
    assert served["requests"] == outcome.requests >= 60
    assert outcome.network_errors == 0 and said
    assert outcome.shipper["sent"] == served["requests"]
    assert outcome.shipper["dropped"] == outcome.shipper["rejected"] == 0
    wait_until_stored(served["requests"])

    read_token = issue_token("e2e read", ["read"])
    by_status = read_summary(live_server.url, read_token, "http_status")
    assert by_status["totals"] == {
        "requests": served["requests"],
        "failed_requests": served["failed"],
        "errors": served["errors"],
    }
    failed_by_status = {int(s): n for s, n in served["by_status"].items() if int(s) >= 400}
    assert {g["key"]: g["failed_requests"] for g in by_status["groups"]} == failed_by_status
    by_code = read_summary(live_server.url, read_token, "code")
    assert {g["key"]: g["errors"] for g in by_code["groups"]} == expected_codes(served)
