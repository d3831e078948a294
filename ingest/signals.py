"""Response headers worth a look on their own: deprecation warnings and rate limits. Pure."""

from collections.abc import Mapping
from datetime import UTC, datetime

WARNING_HEADER = "x-api-warn"
RATE_LIMIT_PREFIXES = ("x-rate-limit-", "x-account-rate-limit-")


def api_warning(headers: Mapping[str, str]) -> str | None:
    """The `x-api-warn` header (a deprecated endpoint), if the response carried one."""
    return next((v for k, v in headers.items() if k.lower() == WARNING_HEADER), None)


def rate_limits(headers: Mapping[str, str]) -> list[dict]:
    """Rate-limit headers in the order received; `reset` epochs also as UTC times."""
    limits = []
    for name, value in headers.items():
        lower = name.lower()
        if not lower.startswith(RATE_LIMIT_PREFIXES):
            continue
        item = {"name": lower, "value": value, "at": None}
        if lower.endswith("-reset") and value.isdigit() and len(value) <= 11:
            item["at"] = datetime.fromtimestamp(int(value), UTC)
        limits.append(item)
    return limits
