"""Capture client: ship X Ads API response envelopes to the dashboard from any integration.

No Django, no dependency beyond the standard library (orjson is used when installed)::

    import requests
    from ingest.client import EnvelopeShipper, instrument_requests_session
    shipper = EnvelopeShipper("https://xads.example.com", token="<ingest token>")
    session = instrument_requests_session(requests.Session(), shipper)
    session.get("https://ads-api.x.com/12/accounts")  # captured, sent in the background

``instrument_httpx_client(client, shipper)`` and ``instrument_twitter_ads(client, shipper)``
do the same for httpx clients and the official SDK. Monitoring never raises into the
integration and never waits on the ingest server; queued records are sent at exit (or on
``shipper.close()``), and ``shipper.stats()`` tells what happened.
"""

from ingest.client.hooks import (
    instrument_httpx_client,
    instrument_requests_session,
    instrument_twitter_ads,
    uninstrument_twitter_ads,
)
from ingest.client.records import make_record
from ingest.client.shipper import EnvelopeShipper

__all__ = [
    "EnvelopeShipper",
    "instrument_httpx_client",
    "instrument_requests_session",
    "instrument_twitter_ads",
    "make_record",
    "uninstrument_twitter_ads",
]
