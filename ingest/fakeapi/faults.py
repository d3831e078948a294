"""The errors the fake API answers with, in every shape of the reference: several errors per
response, ``parameter``/``details``/``value``, HTML 404s, empty 500s, 503 with
``retry-after`` and 429 (its rate-limit headers are added by the app).

``random_fault`` draws one for a request chosen to fail; ``item_errors`` draws the
``operation_errors`` of a batch call.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass

from ingest.fakeapi.bodies import item_params
from ingest.fakeapi.calls import Call
from ingest.fakeapi.replies import Reply, empty_reply, html_reply, json_reply
from ingest.fakeapi.routes import COLLECTION, ITEM, STATS

HTML_NOT_FOUND = (
    "<!DOCTYPE html><html><head><title>Page not found</title></head>"
    "<body><h1>Sorry, that page does not exist</h1></body></html>"
)
RETRY_AFTER_MAX_SECONDS = 30
# parameter -> (what was expected, details, a wrong value an integration might send)
BAD_VALUES = {
    "count": ("integer between 1 and 1000", "out of range", "0"),
    "with_deleted": ("boolean", "invalid boolean", "maybe"),
    "sort_by": ("sort field", "unknown sort field", "created-at-desc"),
    "entity_status": ("one of ACTIVE, PAUSED, DRAFT", "invalid enum value", "RUNNING"),
    "daily_budget_amount_local_micro": ("integer >= 1000000", "below minimum", "-5"),
    "bid_amount_local_micro": ("multiple of 10000", "invalid amount", "12345"),
    "granularity": ("one of HOUR, DAY, TOTAL", "invalid enum value", "WEEK"),
    "metric_groups": ("metric group", "unknown metric group", "ENGAGMENT"),
    "placement": ("one of ALL_ON_TWITTER, PUBLISHER_NETWORK", "invalid enum value", "EVERYWHERE"),
}
LIST_PARAMETERS = ("count", "with_deleted", "sort_by")
WRITE_PARAMETERS = ("entity_status", "daily_budget_amount_local_micro", "bid_amount_local_micro")
STATS_PARAMETERS = ("granularity", "metric_groups", "placement")
REQUIRED_FOR_WRITES = ("name", "funding_instrument_id", "start_time")
NOT_FOUND_CODES = {
    "campaign": "CAMPAIGN_NOT_FOUND",
    "line_item": "LINE_ITEM_NOT_FOUND",
    "promoted_tweet": "PROMOTED_TWEET_NOT_FOUND",
}
LIMIT_CODES = {"campaign": "TOO_MANY_CAMPAIGNS", "line_item": "TOO_MANY_LINE_ITEMS"}


def api_error(code: str, message: str, **fields: str) -> dict:
    """One element of ``errors``: code, message and any of parameter, details, value."""
    return {"code": code, "message": message, **fields}


def invalid_value(parameter: str, expected: str, details: str, value: str) -> dict:
    """INVALID_PARAMETER as in the reference's example."""
    message = f'Expected {expected}, got "{value}" for {parameter}'
    return api_error(
        "INVALID_PARAMETER", message, parameter=parameter, details=details, value=value
    )


def missing(parameter: str) -> dict:
    return api_error(
        "MISSING_PARAMETER", f'"{parameter}" is a required parameter', parameter=parameter
    )


def errors_reply(status: int, call: Call | None, *errors: dict) -> Reply:
    """A JSON error answer with the params echo (none when no route matched)."""
    params = call.params if call is not None else {}
    return json_reply(status, {"errors": list(errors), "request": {"params": params}})


# --- request-level faults ------------------------------------------------------------------


def _candidate_parameters(call: Call) -> tuple[str, ...]:
    if call.match.route.kind == STATS:
        return STATS_PARAMETERS
    return LIST_PARAMETERS if call.match.method == "GET" else WRITE_PARAMETERS


def _invalid_parameters(rng: random.Random, call: Call) -> Reply:
    """400 with one to three INVALID_PARAMETER errors, each naming its parameter."""
    candidates = _candidate_parameters(call)
    chosen = rng.sample(candidates, rng.randint(1, len(candidates)))
    return errors_reply(400, call, *(invalid_value(name, *BAD_VALUES[name]) for name in chosen))


def _missing_parameter(rng: random.Random, call: Call) -> Reply:
    return errors_reply(400, call, missing(rng.choice(REQUIRED_FOR_WRITES)))


def _limit_reached(rng: random.Random, call: Call) -> Reply:
    code = LIMIT_CODES[call.match.route.data_type]
    return errors_reply(400, call, api_error(code, "This account has reached its limit"))


def _not_found(rng: random.Random, call: Call) -> Reply:
    data_type = call.match.route.data_type
    code = NOT_FOUND_CODES.get(data_type, "NOT_FOUND") if call.match.entity_id else "NOT_FOUND"
    message = f"The requested {data_type.replace('_', ' ')} could not be found"
    return errors_reply(404, call, api_error(code, message))


def _html_not_found(rng: random.Random, call: Call) -> Reply:
    return html_reply(404, HTML_NOT_FOUND)


def _unauthorized(rng: random.Random, call: Call) -> Reply:
    if rng.random() < 0.5:
        return errors_reply(
            401,
            call,
            api_error("UNAUTHORIZED_ACCESS", "This request is not properly authenticated"),
        )
    message = "The client application making this request does not have access to Twitter Ads API"
    return errors_reply(403, call, api_error("UNAUTHORIZED_CLIENT_APPLICATION", message))


def _too_many_requests(rng: random.Random, call: Call) -> Reply:
    return errors_reply(429, call, api_error("TOO_MANY_REQUESTS", "Rate limit exceeded"))


def _internal_error(rng: random.Random, call: Call) -> Reply:
    return empty_reply(500)


def _over_capacity(rng: random.Random, call: Call) -> Reply:
    reply = errors_reply(
        503, call, api_error("OVER_CAPACITY", "Service is over capacity, please try again later")
    )
    return reply.with_headers({"retry-after": str(rng.randint(1, RETRY_AFTER_MAX_SECONDS))})


def _is_write(call: Call) -> bool:
    return call.match.method != "GET"


def _creates_limited(call: Call) -> bool:
    route = call.match.route
    return route.kind == COLLECTION and _is_write(call) and route.data_type in LIMIT_CODES


def _always(call: Call) -> bool:
    return True


@dataclass(frozen=True)
class Fault:
    """A kind of failure: how often it is drawn, where it applies and its answer."""

    weight: int
    applies: Callable[[Call], bool]
    answer: Callable[[random.Random, Call], Reply]


FAULTS = (
    Fault(30, _always, _invalid_parameters),
    Fault(10, _is_write, _missing_parameter),
    Fault(5, _creates_limited, _limit_reached),
    Fault(10, lambda call: call.match.route.kind in (ITEM, COLLECTION), _not_found),
    Fault(5, _always, _html_not_found),
    Fault(5, _always, _unauthorized),
    Fault(15, _always, _too_many_requests),
    Fault(5, _always, _internal_error),
    Fault(10, _always, _over_capacity),
)


def random_fault(rng: random.Random, call: Call) -> Reply:
    """One failure among those that apply to the call, drawn by weight."""
    faults = [fault for fault in FAULTS if fault.applies(call)]
    fault = rng.choices(faults, [fault.weight for fault in faults])[0]
    return fault.answer(rng, call)


# --- batch items -----------------------------------------------------------------------------


def _random_item_errors(rng: random.Random) -> list[dict]:
    draw = rng.random()
    if draw < 0.6:
        parameter = rng.choice(WRITE_PARAMETERS[:2])
        return [invalid_value(parameter, *BAD_VALUES[parameter])]
    if draw < 0.8:
        return [api_error("TOO_MANY_CAMPAIGNS", "This account has reached its limit")]
    return [api_error("SPEND_EXCEEDS_BUDGET", "Spend would exceed the total budget")]


def item_errors(rng: random.Random, items: list, error_rate: float) -> list[list[dict]]:
    """``operation_errors``: one entry per item, empty or its errors. A Create without a
    name always fails; the other items fail at ``error_rate``."""
    entries = []
    for item in items:
        creates = not isinstance(item, dict) or item.get("operation_type", "Create") == "Create"
        if creates and "name" not in item_params(item):
            entries.append([missing("name")])
        elif rng.random() < error_rate:
            entries.append(_random_item_errors(rng))
        else:
            entries.append([])
    return entries
