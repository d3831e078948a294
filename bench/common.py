"""Shared by the benchmarks: a realistic, seeded generator of X Ads API response envelopes,
the rows the store writes for them, Django set-up, API tokens, a small HTTP client and
percentiles.

Importing this module puts the repository root first on sys.path: a script run as
``bench/ingest.py`` has ``bench/`` there, and its own name would shadow the ``ingest`` package.
"""

import http.client
import math
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import orjson

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from ingest.parse import ParsedEnvelope, parse_record  # noqa: E402
from ingest.retention import ROLLUP_TABLES  # noqa: E402
from ingest.store import _envelope_row, _error_rows  # noqa: E402
from ingest.validate import validate_record  # noqa: E402

SEED = 20261128
ACCOUNT_COUNT = 60
ACCOUNT_MIN_CHARS, ACCOUNT_MAX_CHARS = 4, 11
ENTITY_ID_MIN_CHARS, ENTITY_ID_MAX_CHARS = 4, 6
BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
API_ROOT = "https://ads-api.x.com/12/"
FAILURE_SHARE = 0.10
SET_COOKIE_SHARE = 0.3
DATA_MAX_ITEMS = 3
RATE_LIMIT_PER_WINDOW = 450
RATE_LIMIT_WINDOW_S = 900
DURATION_LOG_MEAN = 5.0  # e^5 ~ 150 ms median response time
DURATION_LOG_SIGMA = 0.6
STATS_WINDOW_END = datetime(2026, 11, 28, tzinfo=UTC)  # stats requests ask for days before it
STATS_WINDOW_DAYS = (1, 7, 7, 30)
INGEST_TABLES = (
    "ingest_error",
    "ingest_envelope",
    "ingest_pendingrollup",
    "ingest_storedbatch",
    *ROLLUP_TABLES,
)
HTTP_TIMEOUT_S = 120
BEARER_SCOPES = ["ingest", "read"]


# --- Django, tokens, tables -----------------------------------------------------------------


def setup_django() -> None:
    """Configure Django with the project's settings (DATABASE_URL, REDIS_URL from the env)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    django.setup()


def create_token(purpose: str) -> str:
    """A fresh API token with the ingest and read scopes (Django must be set up)."""
    from ingest.tokens import issue_token

    return issue_token(f"bench-{purpose}-{int(time.time())}", BEARER_SCOPES)


def truncate_ingest_tables() -> None:
    """Empty the envelope, error and rollup tables and restart their id sequences."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(INGEST_TABLES)} RESTART IDENTITY CASCADE")


def stored_envelopes() -> int:
    """How many rows ingest_envelope holds now."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ingest_envelope")
        return cursor.fetchone()[0]


def stored_batches() -> int:
    """How many ingest batches are stored (one small row each)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ingest_storedbatch")
        return int(cursor.fetchone()[0])


def counted_envelopes() -> int:
    """How many envelopes the aggregates count now: the batches stored so far are folded into
    the rollups (a read would count queued ones from raw rows; folded, the count is a few
    rows to read, and the clock includes the last fold), then the daily totals rows are summed.
    Envelopes and their queued counts are committed together, so this is the number of stored
    envelopes, without scanning them (which would load the database being measured)."""
    from django.db import connection

    from ingest.fold import fold_pending_rollups

    fold_pending_rollups()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(requests), 0) FROM ingest_dailydimensionrollup "
            "WHERE dimension = ''"
        )
        return int(cursor.fetchone()[0])


# --- the envelope generator ------------------------------------------------------------------


def _base36(rng: random.Random, min_chars: int, max_chars: int) -> str:
    return "".join(rng.choices(BASE36, k=rng.randint(min_chars, max_chars)))


def _entity_id(rng: random.Random) -> str:
    """An id like ``8wk12``, always with a digit, so the endpoint template makes it ``:id``."""
    text = _base36(rng, ENTITY_ID_MIN_CHARS - 1, ENTITY_ID_MAX_CHARS - 1)
    cut = rng.randint(0, len(text))
    return text[:cut] + rng.choice(DIGITS) + text[cut:]


def _make_accounts() -> tuple[str, ...]:
    rng = random.Random(SEED)
    return tuple(_base36(rng, ACCOUNT_MIN_CHARS, ACCOUNT_MAX_CHARS) for _ in range(ACCOUNT_COUNT))


ACCOUNTS = _make_accounts()
# Zipf-like traffic: the first account is the busiest, as with real advertisers.
ACCOUNT_WEIGHTS = tuple(1 / (rank + 1) for rank in range(ACCOUNT_COUNT))
BUSIEST_ACCOUNT = ACCOUNTS[0]


def _iso_ms(moment: datetime) -> str:
    """``2026-11-28T06:00:00.123Z``."""
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def _stats_window(rng: random.Random) -> dict:
    end = STATS_WINDOW_END - timedelta(days=rng.randint(0, 20))
    start = end - timedelta(days=rng.choice(STATS_WINDOW_DAYS))
    return {"start_time": f"{start:%Y-%m-%dT%H:%M:%SZ}", "end_time": f"{end:%Y-%m-%dT%H:%M:%SZ}"}


# Query parameters an endpoint sends; each maker returns a dict of params.
PARAM_MAKERS: dict[str, Callable[[random.Random], dict]] = {
    "list": lambda rng: {"count": "200", "with_deleted": rng.choice(("true", "false"))},
    "campaign_ids": lambda rng: {"campaign_ids": _entity_id(rng)},
    "line_item_ids": lambda rng: {"line_item_ids": _entity_id(rng)},
    "stats": lambda rng: {
        "entity": "CAMPAIGN",
        "entity_ids": ",".join(_entity_id(rng) for _ in range(rng.randint(1, 3))),
        **_stats_window(rng),
        "granularity": "DAY",
        "metric_groups": "ENGAGEMENT,BILLING",
        "placement": "ALL_ON_TWITTER",
    },
    "create_campaign": lambda rng: {
        "name": f"Campaign {rng.randint(1, 9999)}",
        "funding_instrument_id": _entity_id(rng),
        "daily_budget_amount_local_micro": str(rng.choice((5, 20, 50, 100)) * 1_000_000),
        "entity_status": "PAUSED",
    },
    "update_line_item": lambda rng: {
        "bid_amount_local_micro": str(rng.randint(1, 50) * 100_000),
        "entity_status": rng.choice(("ACTIVE", "PAUSED")),
    },
    "tweet": lambda rng: {"text": "Spring sale: 20% off", "nullcast": "true"},
    "none": lambda rng: {},
}


@dataclass(frozen=True)
class Endpoint:
    """One Ads API v12 call: path (with {account} and {id}), params kind, data type, weight."""

    method: str
    path: str
    params: str
    data_type: str
    weight: int


ENDPOINTS = (
    Endpoint("GET", "accounts/{account}/campaigns", "list", "campaign", 14),
    Endpoint("GET", "accounts/{account}/campaigns/{id}", "none", "campaign", 6),
    Endpoint("GET", "accounts/{account}/line_items", "campaign_ids", "line_item", 12),
    Endpoint("GET", "accounts/{account}/line_items/{id}", "none", "line_item", 5),
    Endpoint("GET", "accounts/{account}/promoted_tweets", "line_item_ids", "promoted_tweet", 8),
    Endpoint("GET", "accounts/{account}/cards", "list", "card", 4),
    Endpoint("GET", "accounts/{account}/funding_instruments", "none", "funding_instrument", 3),
    Endpoint("GET", "accounts/{account}/targeting_criteria", "line_item_ids", "targeting", 5),
    Endpoint("GET", "accounts/{account}/tailored_audiences", "list", "tailored_audience", 3),
    Endpoint("GET", "accounts/{account}/media_creatives", "list", "media_creative", 2),
    Endpoint("GET", "accounts/{account}/promotable_users", "none", "promotable_user", 2),
    Endpoint("GET", "accounts/{account}", "none", "account", 3),
    Endpoint("GET", "stats/accounts/{account}", "stats", "stats", 16),
    Endpoint("GET", "stats/jobs/accounts/{account}", "none", "job", 2),
    Endpoint("POST", "accounts/{account}/campaigns", "create_campaign", "campaign", 3),
    Endpoint("PUT", "accounts/{account}/line_items/{id}", "update_line_item", "line_item", 3),
    Endpoint("DELETE", "accounts/{account}/promoted_tweets/{id}", "none", "promoted_tweet", 1),
    Endpoint("POST", "batch/accounts/{account}/campaigns", "none", "campaign", 2),
    Endpoint("POST", "batch/accounts/{account}/line_items", "none", "line_item", 1),
    Endpoint("POST", "accounts/{account}/tweet", "tweet", "tweet", 2),
)
ENDPOINT_WEIGHTS = tuple(endpoint.weight for endpoint in ENDPOINTS)


@dataclass(frozen=True)
class Call:
    """The request half of an envelope: what the integration asked for."""

    endpoint: Endpoint
    account: str
    url: str
    params: dict


def _make_call(rng: random.Random) -> Call:
    endpoint = rng.choices(ENDPOINTS, ENDPOINT_WEIGHTS)[0]
    account = rng.choices(ACCOUNTS, ACCOUNT_WEIGHTS)[0]
    path = endpoint.path.format(account=account, id=_entity_id(rng))
    params = PARAM_MAKERS[endpoint.params](rng)
    url = API_ROOT + path + (f"?{urlencode(params)}" if params else "")
    return Call(endpoint, account, url, {"account_id": account, **params})


def _entity(rng: random.Random, call: Call) -> dict:
    """One object of a successful response's ``data``."""
    if call.endpoint.data_type == "stats":
        return {
            "id": _entity_id(rng),
            "id_data": [
                {
                    "segment": None,
                    "metrics": {
                        "impressions": [rng.randint(0, 90_000) for _ in range(7)],
                        "engagements": [rng.randint(0, 900) for _ in range(7)],
                        "billed_charge_local_micro": [
                            rng.randint(0, 9) * 1_000_000 for _ in range(7)
                        ],
                    },
                }
            ],
        }
    return {
        "id": _entity_id(rng),
        "name": f"{call.endpoint.data_type} {rng.randint(1, 99_999)}",
        "account_id": call.account,
        "entity_status": rng.choice(("ACTIVE", "PAUSED", "DRAFT")),
        "created_at": "2026-10-02T14:21:07Z",
        "updated_at": "2026-11-20T08:02:51Z",
        "currency": "USD",
        "servable": rng.random() < 0.8,
        "deleted": False,
    }


def _success(rng: random.Random, call: Call) -> tuple[int, object]:
    data = [_entity(rng, call) for _ in range(rng.randint(1, DATA_MAX_ITEMS))]
    body = {"request": {"params": call.params}, "data": data, "data_type": call.endpoint.data_type}
    if call.endpoint.method == "GET":
        body |= {"total_count": len(data), "next_cursor": None}
    return 200, body


def _errors_body(call: Call, *errors: dict) -> dict:
    return {"errors": list(errors), "request": {"params": call.params}}


def _invalid_time(parameter: str) -> dict:
    return {
        "code": "INVALID_PARAMETER",
        "parameter": parameter,
        "details": "invalid date",
        "value": "",
        "message": f'Expected time, got "" for {parameter}',
    }


def _invalid_parameter(rng: random.Random, call: Call) -> tuple[int, object]:
    parameter = rng.choice(("count", "entity_status", "daily_budget_amount_local_micro"))
    return 400, _errors_body(
        call,
        {
            "code": "INVALID_PARAMETER",
            "parameter": parameter,
            "details": "expected one of the documented values",
            "value": "-1",
            "message": f'Expected a valid value, got "-1" for {parameter}',
        },
    )


def _invalid_time_window(rng: random.Random, call: Call) -> tuple[int, object]:
    return 400, _errors_body(call, _invalid_time("start_time"), _invalid_time("end_time"))


def _missing_parameter(rng: random.Random, call: Call) -> tuple[int, object]:
    parameter = rng.choice(("entity", "funding_instrument_id", "line_item_id"))
    return 400, _errors_body(
        call,
        {
            "code": "MISSING_PARAMETER",
            "parameter": parameter,
            "message": f'"{parameter}" is a required parameter',
        },
    )


def _not_found(rng: random.Random, call: Call) -> tuple[int, object]:
    return 404, _errors_body(
        call,
        {
            "code": "NOT_FOUND",
            "message": "The requested resource could not be found",
        },
    )


def _html_not_found(rng: random.Random, call: Call) -> tuple[int, object]:
    return 404, (
        "<!DOCTYPE html><html><head><title>Page not found</title></head>"
        "<body><h1>Sorry, that page does not exist</h1></body></html>"
    )


def _unauthorized_client(rng: random.Random, call: Call) -> tuple[int, object]:
    return 403, _errors_body(
        call,
        {
            "code": "UNAUTHORIZED_CLIENT_APPLICATION",
            "message": "The client application making this request does not have access to "
            "Twitter Ads API",
        },
    )


def _too_many_requests(rng: random.Random, call: Call) -> tuple[int, object]:
    return 429, _errors_body(
        call,
        {
            "code": "TOO_MANY_REQUESTS",
            "message": "Rate limit exceeded",
        },
    )


def _internal_error(rng: random.Random, call: Call) -> tuple[int, object]:
    return 500, ""


def _over_capacity(rng: random.Random, call: Call) -> tuple[int, object]:
    return 503, _errors_body(
        call,
        {
            "code": "OVER_CAPACITY",
            "message": "Service is over capacity, please try again later",
        },
    )


def _ok_with_errors(rng: random.Random, call: Call) -> tuple[int, object]:
    """A 200 carrying errors (a batch call that partly failed): counted as failed."""
    return 200, _errors_body(
        call,
        {
            "code": "TOO_MANY_CAMPAIGNS",
            "message": "This account has reached its limit of active campaigns",
        },
    )


def _unknown_code(rng: random.Random, call: Call) -> tuple[int, object]:
    return 400, _errors_body(
        call,
        {
            "code": "BUDGET_OPTIMIZATION_NOT_SUPPORTED",
            "parameter": "budget_optimization",
            "message": "Campaign budget optimization is not available for this objective",
        },
    )


# (weight, maker): the failure mix, roughly as an integration sees it.
FAILURES: tuple[tuple[int, Callable[[random.Random, Call], tuple[int, object]]], ...] = (
    (30, _invalid_parameter),
    (10, _invalid_time_window),
    (10, _missing_parameter),
    (10, _not_found),
    (5, _html_not_found),
    (5, _unauthorized_client),
    (12, _too_many_requests),
    (5, _internal_error),
    (5, _over_capacity),
    (5, _ok_with_errors),
    (3, _unknown_code),
)
FAILURE_WEIGHTS = tuple(weight for weight, _ in FAILURES)
FAILURE_MAKERS = tuple(maker for _, maker in FAILURES)


def _headers(rng: random.Random, status: int, body: object, occurred_at: datetime) -> dict:
    """Response headers: content type, transaction id, rate-limit state, sometimes a cookie."""
    remaining = 0 if status == 429 else rng.randint(1, RATE_LIMIT_PER_WINDOW)
    reset_s = int(occurred_at.timestamp()) + rng.randint(1, RATE_LIMIT_WINDOW_S)
    headers = {
        "content-type": "text/html;charset=utf-8"
        if isinstance(body, str)
        else "application/json;charset=utf-8",
        "x-transaction-id": f"{rng.getrandbits(64):016x}",
        "x-rate-limit-limit": str(RATE_LIMIT_PER_WINDOW),
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(reset_s),
        "x-response-time": str(rng.randint(20, 400)),
    }
    if rng.random() < SET_COOKIE_SHARE:
        headers["set-cookie"] = f"guest_id=v1%3A{rng.getrandbits(60)}; Domain=.x.com; Secure"
    return headers


def make_record(rng: random.Random, occurred_at: datetime) -> dict:
    """One ingest record: a 200 with data about 90% of the time, else an error response."""
    call = _make_call(rng)
    if rng.random() < FAILURE_SHARE:
        status, body = rng.choices(FAILURE_MAKERS, FAILURE_WEIGHTS)[0](rng, call)
    else:
        status, body = _success(rng, call)
    return {
        "status": status,
        "url": call.url,
        "method": call.endpoint.method,
        "occurred_at": _iso_ms(occurred_at),
        "duration_ms": round(rng.lognormvariate(DURATION_LOG_MEAN, DURATION_LOG_SIGMA), 1),
        "headers": _headers(rng, status, body, occurred_at),
        "body": body,
    }


def make_records(count: int, since: datetime, until: datetime, seed: int = SEED) -> list[dict]:
    """`count` records with occurred_at uniform in [since, until), oldest first."""
    rng = random.Random(seed)
    span = until - since
    return [make_record(rng, since + span * ((i + rng.random()) / count)) for i in range(count)]


# --- from a record to what the store writes --------------------------------------------------


def parse(record: dict, received_at: datetime) -> ParsedEnvelope:
    """The product's own validation and parsing of one record."""
    return parse_record(validate_record(record), received_at)


def storage_rows(
    envelope_id: int, envelope: ParsedEnvelope, received_at: datetime
) -> tuple[tuple, list[tuple]]:
    """The ingest_envelope row (in ENVELOPE_COLUMNS order) and the ingest_error rows (in
    ERROR_COLUMNS order) that `ingest.store` writes for one envelope."""
    return _envelope_row(envelope, received_at), list(_error_rows(envelope_id, envelope))


# --- HTTP --------------------------------------------------------------------------------------


class ApiClient:
    """One HTTP connection to the product's API with a bearer token; one per thread."""

    def __init__(self, base_url: str, token: str):
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(
            parts.hostname, parts.port or 80, timeout=HTTP_TIMEOUT_S
        )
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, object]:
        """Send one request; return the status and the decoded JSON answer."""
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        try:
            return response.status, orjson.loads(payload)
        except orjson.JSONDecodeError:
            return response.status, payload.decode(errors="replace")

    def close(self) -> None:
        self.connection.close()


def require_stack(base_url: str) -> None:
    """Exit with a hint when the web server does not answer."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=5)
    try:
        connection.request("GET", "/api/v1/openapi.json")
        connection.getresponse().read()
    except OSError as exc:
        sys.exit(f"{base_url} does not answer ({exc}); start the stack with `make up`")
    finally:
        connection.close()


def timed_get(client: "ApiClient", target: str) -> float:
    """Milliseconds of one GET of `target`, which must answer 200."""
    started = time.perf_counter()
    status, answer = client.call("GET", target)
    elapsed_ms = (time.perf_counter() - started) * 1_000
    if status != 200:
        sys.exit(f"GET {target} answered {status}: {str(answer)[:300]}")
    return elapsed_ms


# --- statistics --------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` (0..1) percentile of non-empty `values`, interpolated linearly."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)
