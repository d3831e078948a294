"""Request and response shapes of the API, for validation and the OpenAPI document."""

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import BaseModel, ConfigDict

from ingest.filters import DIMENSIONS


class Rejection(Schema):
    index: int
    error: str


class IngestAnswer(Schema):
    accepted: int
    rejected: list[Rejection]


class ErrorAnswer(Schema):
    error: str


class Totals(Schema):
    requests: int
    failed_requests: int
    errors: int


class Group(Schema):
    key: str | int | None
    errors: int
    failed_requests: int


class Summary(Schema):
    totals: Totals
    groups: list[Group]


class Bucket(Totals):
    start: datetime


class Timeseries(Schema):
    buckets: list[Bucket]


class RequestFields(Schema):
    """What the list and the detail of a stored request share."""

    id: int
    client_id: str | None
    account_id: str | None
    method: str
    url: str
    endpoint: str
    status: int
    failed: bool
    occurred_at: datetime
    duration_ms: float | None
    transaction_id: str | None


class RequestItem(RequestFields):
    error_count: int
    codes: list[str]
    parameters: list[str]
    first_message: str | None


class RequestPage(Schema):
    results: list[RequestItem]
    next: str | None


class StoredError(BaseModel):
    """An error as stored: the API's fields, catalog flags, and any other fields it had."""

    model_config = ConfigDict(extra="allow")

    code: str
    parameter: str | None
    message: Any = None
    details: Any = None
    value: Any = None
    unknown: bool
    mismatch: bool
    synthesized: bool


class RequestDetail(RequestFields):
    received_at: datetime
    request_params: dict[str, Any]
    errors: list[StoredError]
    headers: dict[str, str]
    body: Any = None


def query_parameter(name: str, description: str, schema: dict, repeat: bool = False) -> dict:
    if repeat:
        schema = {"type": "array", "items": schema}
    return {
        "in": "query",
        "name": name,
        "description": description,
        "required": False,
        "schema": schema,
        "style": "form",
        "explode": True,
    }


TIME_RANGE_PARAMETERS = [
    query_parameter(
        "since",
        "Start, ISO-8601, inclusive (default: until - 24h)",
        {"type": "string", "format": "date-time"},
    ),
    query_parameter(
        "until",
        "End, ISO-8601, exclusive (default: now)",
        {"type": "string", "format": "date-time"},
    ),
]
FILTER_PARAMETERS = TIME_RANGE_PARAMETERS + [
    query_parameter(
        name,
        "Exact match; repeat for any of several values"
        + ("; 'null' selects none" if name in ("account", "parameter") else ""),
        {"type": "integer" if name == "http_status" else "string"},
        repeat=True,
    )
    for name in DIMENSIONS
]
