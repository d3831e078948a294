"""The page state that lives in the URL: time range preset or custom range, and filters.

Links that narrow, widen or drop a filter are built here so that every page keeps the rest
of the state (shareable links, a working back button)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.http import QueryDict

from ingest.filters import DIMENSIONS, NULL_VALUE, FilterError, Filters, parse_filters

RANGES = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
DEFAULT_RANGE = "24h"
CUSTOM = "custom"
LABELS = {
    "account": "account",
    "code": "code",
    "http_status": "HTTP status",
    "parameter": "parameter",
    "endpoint": "endpoint",
}


@dataclass(frozen=True)
class Chip:
    dimension: str
    label: str
    value: str
    remove_url: str


@dataclass(frozen=True)
class PageState:
    query: QueryDict
    filters: Filters
    range_name: str

    @property
    def previous(self) -> Filters:
        length = self.filters.until - self.filters.since
        return Filters(self.filters.since - length, self.filters.since, self.filters.values)

    def url(self, path: str = "", **changes) -> str:
        """`path` with this state's query, `changes` replacing parameters (None drops one)."""
        query = self.query.copy()
        for name, value in changes.items():
            query.pop(name, None)
            if value is not None:
                query.setlist(name, value if isinstance(value, list) else [value])
        encoded = query.urlencode()
        return f"{path}?{encoded}" if encoded else path or "?"

    def narrowed_url(self, path: str, dimension: str, value) -> str:
        """`path` with this page's range and filters, `dimension` narrowed to `value`."""
        base = PageState(QueryDict(self.carried("").lstrip("?")), self.filters, self.range_name)
        return base.url(path, **{dimension: NULL_VALUE if value is None else str(value)})

    def chips(self) -> list[Chip]:
        chips = []
        for dimension in DIMENSIONS:
            values = self.query.getlist(dimension)
            for value in values:
                rest = [other for other in values if other != value]
                chips.append(
                    Chip(dimension, LABELS[dimension], value, self.url(**{dimension: rest or None}))
                )
        return chips

    def carried(self, path: str) -> str:
        """`path` with the range and filters of this page, and nothing page-specific."""
        kept = QueryDict(mutable=True)
        for name in ("range", "since", "until", *DIMENSIONS):
            if name in self.query:
                kept.setlist(name, self.query.getlist(name))
        encoded = kept.urlencode()
        return f"{path}?{encoded}" if encoded else path

    def range_url(self, name: str) -> str:
        return self.url(range=name, since=None, until=None)


def page_state(query: QueryDict, now: datetime) -> PageState:
    """The state of a page from its query string; FilterError names a bad parameter."""
    range_name = query.get("range") or (CUSTOM if query.get("since") else DEFAULT_RANGE)
    if range_name not in RANGES and range_name != CUSTOM:
        raise FilterError("range", f"expected one of {', '.join([*RANGES, CUSTOM])}")
    values = dict(query.lists())
    if range_name != CUSTOM:
        values["since"] = [(now - RANGES[range_name]).isoformat()]
        values["until"] = [now.isoformat()]
    return PageState(query=query, filters=parse_filters(values, now), range_name=range_name)
