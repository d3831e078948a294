"""The X Ads API error-code catalog: which HTTP status each documented code comes with.

The data lives in ``catalog.csv`` (columns ``code,http_status``) next to this module,
transcribed from the API reference table; it is loaded once at import time.
"""

import csv
import io
from collections.abc import Mapping
from importlib.resources import files
from types import MappingProxyType

CATALOG_FILE_NAME = "catalog.csv"

GENERIC_CODE_BY_STATUS: Mapping[int, str] = MappingProxyType(
    {
        401: "UNAUTHORIZED_ACCESS",
        404: "NOT_FOUND",
        405: "METHOD_NOT_ALLOWED",
        408: "CANCELLED_REQUEST",
        429: "TOO_MANY_REQUESTS",
        500: "INTERNAL_ERROR",
        503: "SERVICE_UNAVAILABLE",
    }
)


def _load_catalog() -> Mapping[str, int]:
    """Read catalog.csv into a read-only code -> HTTP status mapping."""
    text = files(__package__).joinpath(CATALOG_FILE_NAME).read_text(encoding="utf-8")
    catalog: dict[str, int] = {}
    for line_number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        code = (row.get("code") or "").strip()
        status = (row.get("http_status") or "").strip()
        if not code or not status.isdigit():
            raise ValueError(
                f"{CATALOG_FILE_NAME} line {line_number}: expected 'CODE,STATUS', got {row!r}"
            )
        if code in catalog:
            raise ValueError(f"{CATALOG_FILE_NAME} line {line_number}: duplicate code {code!r}")
        catalog[code] = int(status)
    return MappingProxyType(catalog)


CATALOG: Mapping[str, int] = _load_catalog()


def generic_code_for_status(status: int) -> str:
    """Return the error code to synthesize for a failed response without usable errors.

    Statuses with a documented generic meaning map to their catalog code (404 -> NOT_FOUND);
    any other status becomes ``HTTP_<status>`` (418 -> HTTP_418).
    """
    return GENERIC_CODE_BY_STATUS.get(status, f"HTTP_{status}")


def catalog_status(code: str) -> int | None:
    """Return the HTTP status the reference documents for ``code``, or None if undocumented."""
    return CATALOG.get(code)
