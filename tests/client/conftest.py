"""Fixtures for the capture client tests: local servers and shippers with fast retries.

These tests are pure: no database, no broker.
"""

import pytest
from capture_servers import INGEST_TOKEN, FakeAdsApi, IngestServer

from ingest.client import EnvelopeShipper

FAST_RETRIES = {"backoff_base_seconds": 0.01, "backoff_max_seconds": 0.05}


@pytest.fixture
def ingest_server():
    server = IngestServer()
    yield server
    server.gate.set()
    server.stop()


@pytest.fixture
def fake_api():
    server = FakeAdsApi()
    yield server
    server.stop()


@pytest.fixture
def make_shipper(ingest_server):
    """Build shippers (to the ingest server unless `endpoint` is given), closed afterwards."""
    shippers = []

    def make(endpoint: str | None = None, **settings) -> EnvelopeShipper:
        shipper = EnvelopeShipper(
            ingest_server.url if endpoint is None else endpoint,
            INGEST_TOKEN,
            **{**FAST_RETRIES, **settings},
        )
        shippers.append(shipper)
        return shipper

    yield make
    ingest_server.gate.set()
    for shipper in shippers:
        shipper.close(timeout=1)


@pytest.fixture
def shipper(make_shipper) -> EnvelopeShipper:
    """A shipper that sends only when asked (flush) or when 500 records are queued."""
    return make_shipper(flush_interval_seconds=60)
