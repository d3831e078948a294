"""A local imitation of the X Ads API v12, for demos and tests. Pure Python, no Django.

``FakeAdsApi`` answers requests (method, target, body) with replies shaped like the real
API's: successes with ``data`` and the ``request.params`` echo, and every error shape of the
reference, at error rates set per account and per endpoint. ``start_server`` serves it over
HTTP in a background thread::

    from ingest.fakeapi import ErrorRates, FakeAdsApi, start_server
    server = start_server(FakeAdsApi(ErrorRates(default=0.1), seed=7))
    ...  # requests to server.url + "/12/accounts/abc/campaigns"
    server.stop()

``POST /_control/spike`` starts a spike of errors and ``GET /_control/stats`` tells what was
served (see ``ingest.fakeapi.app``).
"""

from ingest.fakeapi.app import FakeAdsApi
from ingest.fakeapi.rates import ErrorRates, load_rates
from ingest.fakeapi.server import FakeServer, start_server

__all__ = ["ErrorRates", "FakeAdsApi", "FakeServer", "load_rates", "start_server"]
