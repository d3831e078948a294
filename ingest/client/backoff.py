"""When to retry a batch and how long to wait: exponential backoff with full jitter."""

import math
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

TOO_MANY_REQUESTS = 429
_MAX_DOUBLINGS = 64  # beyond this the ceiling is max_seconds anyway; avoids float overflow


def is_retryable(status: int) -> bool:
    """429 and every 5xx may succeed later; other failures (400, 401, 403, 413...) will not."""
    return status == TOO_MANY_REQUESTS or 500 <= status <= 599


def backoff_delay(attempt: int, base_seconds: float, max_seconds: float) -> float:
    """Full jitter: a uniform wait between 0 and min(max, base * 2**attempt)."""
    ceiling = min(max_seconds, base_seconds * 2 ** min(attempt, _MAX_DOUBLINGS))
    return random.uniform(0, ceiling)


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return _seconds_until(value)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _seconds_until(http_date: str) -> float | None:
    """Seconds from now until an HTTP date (0 when it is past), or None when unparsable."""
    try:
        moment = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())
