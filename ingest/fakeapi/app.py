"""FakeAdsApi: from a request (method, target, body) to the reply the X Ads API would give.

For a known route: a refusal the real API always gives (``checks``), else a failure drawn at
the request's error rate (``faults``), else a success (``bodies``; a batch call may still
fail item by item). Every answer has an ``x-transaction-id`` and rate-limit headers;
deprecated endpoints add ``x-api-warn``. Unknown paths get ROUTE_NOT_FOUND, other methods
METHOD_NOT_ALLOWED.

Control endpoints, not counted as served:

- ``POST /_control/spike`` ``{"account": "abc", "endpoint": "GET /12/...", "error_rate":
  0.9, "seconds": 120}`` raises the error rate for a while (account and endpoint default to
  all, error_rate to 0.9, seconds to 60);
- ``GET /_control/stats`` returns what was served (``Ledger.snapshot``) and active spikes.

With the same seed, the same sequence of requests gets the same answers.
"""

import json
import random
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from ingest.fakeapi import bodies, checks, faults
from ingest.fakeapi.calls import Call, read_call
from ingest.fakeapi.ledger import Ledger
from ingest.fakeapi.ratelimits import RateLimits
from ingest.fakeapi.rates import ErrorRates
from ingest.fakeapi.replies import Reply, json_reply
from ingest.fakeapi.routes import BATCH, match_route

CONTROL_PREFIX = "/_control/"
DEPRECATION_WARNING = "This endpoint is deprecated and will be removed in a future version"
TOO_MANY_REQUESTS = 429


class FakeAdsApi:
    """The fake X Ads API's logic, independent of any HTTP server; thread-safe."""

    def __init__(
        self,
        rates: ErrorRates | None = None,
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.rates = rates or ErrorRates()
        self._rng = random.Random(seed)
        self._clock = clock
        self._limits = RateLimits()
        self._ledger = Ledger()
        self._lock = threading.Lock()

    def handle(
        self, method: str, target: str, body: bytes = b"", content_type: str | None = None
    ) -> Reply:
        """The reply to one request; ``target`` is the path with its query string."""
        parts = urlsplit(target)
        if parts.path.startswith(CONTROL_PREFIX):
            return self._control(method.upper(), parts.path, body)
        with self._lock:
            return self._serve(method.upper(), parts.path, parts.query, body, content_type)

    def stats(self) -> dict:
        """What was served so far, and the spikes running now."""
        with self._lock:
            snapshot = self._ledger.snapshot()
        return snapshot | {"spikes": [spike.as_json() for spike in self.rates.active_spikes()]}

    # --- serving ---------------------------------------------------------------------------

    def _serve(
        self, method: str, path: str, query: str, body: bytes, content_type: str | None
    ) -> Reply:
        match = match_route(method, path)
        if match is None:
            message = f"No route matches {path}"
            reply = faults.errors_reply(404, None, faults.api_error("ROUTE_NOT_FOUND", message))
            return self._finish(reply, f"{method} {path}", None, deprecated=False)
        call = read_call(match, query, body, content_type)
        reply = self._answer(call) if method in match.route.methods else self._not_allowed(call)
        return self._finish(reply, call.endpoint, call.account_id, match.route.deprecated)

    def _answer(self, call: Call) -> Reply:
        refusal = checks.refusal(call)
        if refusal is not None:
            return refusal
        rate = self.rates.rate_for(call.account_id, call.endpoint)
        if self._rng.random() < rate:
            return faults.random_fault(self._rng, call)
        if call.match.route.kind == BATCH:
            return self._batch(call, rate)
        return json_reply(200, bodies.success_payload(self._rng, call))

    def _batch(self, call: Call, rate: float) -> Reply:
        """All items applied (200), or none (400) with each item's errors in
        ``operation_errors``, aligned with the items sent."""
        operation_errors = faults.item_errors(self._rng, call.items or [], rate)
        failed = any(operation_errors)
        payload = {
            "data_type": call.match.route.data_type,
            "data": [] if failed else bodies.batch_entities(self._rng, call),
            "operation_errors": operation_errors,
            "request": {"params": call.params},
        }
        return json_reply(400 if failed else 200, payload)

    def _not_allowed(self, call: Call) -> Reply:
        allowed = ", ".join(call.match.route.methods)
        message = f"{call.match.method} is not allowed here; use {allowed}"
        reply = faults.errors_reply(405, call, faults.api_error("METHOD_NOT_ALLOWED", message))
        return reply.with_headers({"allow": allowed})

    def _finish(self, reply: Reply, endpoint: str, account: str | None, deprecated: bool) -> Reply:
        """Add the headers every answer has, and count it."""
        exhausted = reply.status == TOO_MANY_REQUESTS
        headers = self._limits.headers(self._clock(), endpoint, account, exhausted)
        headers["x-transaction-id"] = f"{self._rng.getrandbits(64):016x}"
        if deprecated:
            headers["x-api-warn"] = DEPRECATION_WARNING
        reply = reply.with_headers(headers)
        self._ledger.record(endpoint, account, reply)
        return reply

    # --- control ---------------------------------------------------------------------------

    def _control(self, method: str, path: str, body: bytes) -> Reply:
        transaction = {"x-transaction-id": f"control-{time.monotonic_ns():x}"}
        if (method, path) == ("GET", "/_control/stats"):
            return json_reply(200, self.stats(), transaction)
        if (method, path) == ("POST", "/_control/spike"):
            return self._spike(body).with_headers(transaction)
        return json_reply(404, {"error": f"no control endpoint {method} {path}"}, transaction)

    def _spike(self, body: bytes) -> Reply:
        try:
            order = json.loads(body or b"{}")
            if not isinstance(order, dict):
                raise ValueError("expected a JSON object")
            spike = self.rates.start_spike(
                order.get("error_rate", 0.9),
                order.get("seconds", 60),
                order.get("account"),
                order.get("endpoint"),
            )
        except ValueError as exc:
            return json_reply(400, {"error": str(exc)})
        return json_reply(200, {"spike": spike.as_json()})
