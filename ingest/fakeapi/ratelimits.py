"""Rate-limit headers as the X Ads API sends them: per endpoint (``x-rate-limit-*``) on every
answer and per ads account (``x-account-rate-limit-*``) on account endpoints.

The fake counts requests in 15-minute windows to report a plausible ``remaining`` but never
enforces the limits: its 429s come from the error draw, and then report 0 remaining.
"""

import math
from collections import Counter

WINDOW_SECONDS = 900
ENDPOINT_LIMIT = 450
ACCOUNT_LIMIT = 2_000


class RateLimits:
    """Request counts per window, and the headers they give. Not thread-safe: the caller
    serialises (FakeAdsApi holds its lock)."""

    def __init__(self) -> None:
        self._window: int | None = None
        self._counts: Counter = Counter()

    def headers(
        self, now: float, endpoint: str, account: str | None, exhausted: bool = False
    ) -> dict[str, str]:
        """Count one request and return its rate-limit headers; ``exhausted`` for a 429."""
        window = math.floor(now / WINDOW_SECONDS)
        if window != self._window:
            self._window, self._counts = window, Counter()
        reset = str((window + 1) * WINDOW_SECONDS)
        headers = self._limit("x-rate-limit", (endpoint, account), ENDPOINT_LIMIT, exhausted)
        headers["x-rate-limit-reset"] = reset
        if account is not None:
            headers |= self._limit("x-account-rate-limit", account, ACCOUNT_LIMIT, exhausted)
            headers["x-account-rate-limit-reset"] = reset
        return headers

    def _limit(self, prefix: str, key: object, limit: int, exhausted: bool) -> dict[str, str]:
        self._counts[key] += 1
        remaining = 0 if exhausted else max(1, limit - self._counts[key])
        return {f"{prefix}-limit": str(limit), f"{prefix}-remaining": str(remaining)}
