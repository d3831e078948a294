"""The HTTP API: ingest (write) and the aggregate reads. Views stay thin: they parse the
query, call `ingest.intake`, `ingest.queue` or `ingest.queries`, and shape the answer."""

import logging
import uuid
from collections.abc import Iterable

import redis
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest
from django.utils import timezone
from ninja import NinjaAPI, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError

from ingest import schema
from ingest.auth import ingest_auth, read_auth
from ingest.filters import DIMENSIONS, FilterError, Filters, parse_filters
from ingest.intake import BATCH_MAX_BYTES, BatchError, judge_batch
from ingest.queries import aggregates, requests
from ingest.queue import QueueUnavailable, enqueue_batch

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="X Ads API error dashboard",
    version="1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    urls_namespace="api",
)

FILTER_NAMES = {"since", "until", *DIMENSIONS}


def _error(request, status: int, message: str, **extra):
    return api.create_response(request, {"error": message, **extra}, status=status)


@api.exception_handler(FilterError)
def bad_filter(request, exc: FilterError):
    return _error(request, 400, str(exc), parameter=exc.parameter)


@api.exception_handler(ValidationError)
def bad_input(request, exc: ValidationError):
    where = ".".join(str(part) for part in exc.errors[0]["loc"][1:]) if exc.errors else ""
    message = exc.errors[0]["msg"] if exc.errors else "invalid input"
    return _error(request, 400, f"{where}: {message}" if where else message)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    response = _error(request, 401, "missing or invalid API token")
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
@api.exception_handler(redis.RedisError)
def unavailable(request, exc):
    logger.warning("storage unavailable: %s", exc)
    response = _error(request, 503, "storage is unavailable; retry later")
    response["Retry-After"] = "5"
    return response


def _filters(request: HttpRequest, allowed: Iterable[str]) -> Filters:
    allowed = FILTER_NAMES | set(allowed)
    for name in request.GET:
        if name not in allowed:
            raise FilterError(name, f"unknown parameter; expected one of {sorted(allowed)}")
    return parse_filters(dict(request.GET.lists()), timezone.now())


def _one_of(request: HttpRequest, name: str, choices: Iterable[str], default: str) -> str:
    value = request.GET.get(name, default)
    if value not in choices:
        raise FilterError(name, f"expected one of {', '.join(choices)}, got {value!r}")
    return value


@api.post(
    "/ingest",
    auth=ingest_auth,
    response={
        202: schema.IngestAnswer,
        400: schema.ErrorAnswer,
        413: schema.ErrorAnswer,
        503: schema.ErrorAnswer,
    },
    summary="Record a batch of API response envelopes",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}
            },
        }
    },
)
def ingest(request: HttpRequest):
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > BATCH_MAX_BYTES:
        return _error(request, 413, f"batch is {declared} bytes; the limit is {BATCH_MAX_BYTES}")
    try:
        accepted, rejected, rejected_indices = _judge(request.body)
    except BatchError as exc:
        return _error(request, exc.status, exc.message)
    if accepted:
        try:
            enqueue_batch(
                uuid.uuid4().hex, request.body, timezone.now().isoformat(), rejected_indices
            )
        except QueueUnavailable as exc:
            return unavailable(request, exc)
    return Status(202, {"accepted": accepted, "rejected": rejected})


def _judge(raw: bytes) -> tuple[int, list[dict], list[int]]:
    """The verdict without the decoded records, which are freed on return: garbage
    collections during the enqueue then need not walk thousands of objects."""
    verdict = judge_batch(raw)
    return verdict.accepted, verdict.rejected, verdict.rejected_indices


@api.get(
    "/errors/summary",
    auth=read_auth,
    response=schema.Summary,
    openapi_extra={
        "parameters": [
            *schema.FILTER_PARAMETERS,
            schema.query_parameter(
                "group_by",
                "Dimension to group failed requests by",
                {"type": "string", "enum": list(DIMENSIONS)},
            ),
        ]
    },
)
def errors_summary(request: HttpRequest):
    group_by = _one_of(request, "group_by", list(DIMENSIONS), "code")
    return aggregates.summary(_filters(request, {"group_by"}), group_by)


@api.get(
    "/errors/timeseries",
    auth=read_auth,
    response=schema.Timeseries,
    openapi_extra={
        "parameters": [
            *schema.FILTER_PARAMETERS,
            schema.query_parameter(
                "interval", "Bucket size, UTC", {"type": "string", "enum": ["hour", "day"]}
            ),
        ]
    },
)
def errors_timeseries(request: HttpRequest):
    interval = _one_of(request, "interval", list(aggregates.INTERVALS), "hour")
    filters = _filters(request, {"interval"})
    buckets = (filters.until - filters.since) / aggregates.INTERVALS[interval]
    if buckets > aggregates.TIMESERIES_MAX_BUCKETS:
        raise FilterError(
            "interval",
            f"the range holds {int(buckets)} {interval}s; "
            f"the limit is {aggregates.TIMESERIES_MAX_BUCKETS} buckets",
        )
    return {"buckets": aggregates.timeseries(filters, interval)}


def _boolean(request: HttpRequest, name: str) -> bool | None:
    value = request.GET.get(name)
    if value is None or value == "":
        return None
    if value.lower() not in ("true", "false", "1", "0"):
        raise FilterError(name, f"expected true or false, got {value!r}")
    return value.lower() in ("true", "1")


def _limit(request: HttpRequest) -> int:
    text = request.GET.get("limit", str(requests.PAGE_DEFAULT_SIZE))
    if not text.isdigit() or not 1 <= int(text) <= requests.PAGE_MAX_SIZE:
        raise FilterError("limit", f"expected a whole number from 1 to {requests.PAGE_MAX_SIZE}")
    return int(text)


@api.get(
    "/requests",
    auth=read_auth,
    response=schema.RequestPage,
    openapi_extra={
        "parameters": [
            *schema.FILTER_PARAMETERS,
            schema.query_parameter(
                "failed", "true: failed only; false: successful only", {"type": "boolean"}
            ),
            schema.query_parameter("client_id", "The record's own id", {"type": "string"}),
            schema.query_parameter(
                "cursor", "The 'next' value of the previous page", {"type": "string"}
            ),
            schema.query_parameter("limit", "Page size", {"type": "integer", "maximum": 500}),
        ]
    },
)
def list_requests(request: HttpRequest):
    filters = _filters(request, {"failed", "client_id", "cursor", "limit"})
    return requests.list_requests(
        filters,
        failed=_boolean(request, "failed"),
        client_id=request.GET.get("client_id"),
        cursor=request.GET.get("cursor"),
        limit=_limit(request),
    )


@api.get(
    "/requests/{envelope_id}",
    auth=read_auth,
    response={200: schema.RequestDetail, 404: schema.ErrorAnswer},
)
def request_detail(request: HttpRequest, envelope_id: int):
    if not 0 < envelope_id < 2**63:
        return _error(request, 404, f"no request with id {envelope_id}")
    envelope = requests.get_request(envelope_id)
    if envelope is None:
        return _error(request, 404, f"no request with id {envelope_id}")
    return envelope
