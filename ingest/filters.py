"""The filters every read shares (API, pages, alerts), parsed from a query string.

Pure: no Django. Errors name the parameter and what was expected."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

NULL_VALUE = "null"
DEFAULT_RANGE = timedelta(hours=24)
FILTER_MAX_VALUES = 100

# query parameter -> column, on envelopes and on errors alike
REQUEST_DIMENSIONS = {"account": "account_id", "http_status": "status", "endpoint": "endpoint"}
ERROR_DIMENSIONS = {"code": "code", "parameter": "parameter"}
DIMENSIONS = {**REQUEST_DIMENSIONS, **ERROR_DIMENSIONS}
NULLABLE = {"account", "parameter"}


class FilterError(ValueError):
    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


@dataclass(frozen=True)
class Filters:
    since: datetime
    until: datetime
    values: Mapping[str, tuple] = field(default_factory=dict)

    def of(self, dimension: str) -> tuple:
        return self.values.get(dimension, ())

    @property
    def error_values(self) -> dict[str, tuple]:
        return {name: self.of(name) for name in ERROR_DIMENSIONS if self.of(name)}

    def narrowed(self, **values: tuple) -> "Filters":
        return replace(self, values={**self.values, **values})


def parse_time(parameter: str, text: str) -> datetime:
    """An ISO-8601 instant; a naive one is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FilterError(parameter, f"expected an ISO-8601 time, got {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _status(text: str) -> int:
    if not text.isdigit() or not 100 <= int(text) <= 599:
        raise ValueError
    return int(text)


def _dimension_values(name: str, texts: Sequence[str]) -> tuple:
    if len(texts) > FILTER_MAX_VALUES:
        raise FilterError(name, f"at most {FILTER_MAX_VALUES} values")
    convert: Callable[[str], object] = _status if name == "http_status" else str
    values = []
    for text in texts:
        if name in NULLABLE and text == NULL_VALUE:
            values.append(None)
            continue
        try:
            values.append(convert(text))
        except ValueError:
            raise FilterError(name, f"expected an HTTP status 100..599, got {text!r}") from None
    return tuple(dict.fromkeys(values))


def parse_filters(query: Mapping[str, Sequence[str]], now: datetime) -> Filters:
    """Filters from a multi-valued query mapping (e.g. `dict(request.GET.lists())`)."""
    until = parse_time("until", query["until"][-1]) if query.get("until") else now
    since = parse_time("since", query["since"][-1]) if query.get("since") else until - DEFAULT_RANGE
    if since >= until:
        raise FilterError("since", "must be earlier than until")
    values = {name: _dimension_values(name, query[name]) for name in DIMENSIONS if query.get(name)}
    return Filters(since=since, until=until, values=values)
