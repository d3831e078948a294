"""The calls a realistic integration makes to the Ads API: a weighted mix of endpoints over
a set of accounts (the first ones busiest), with the occasional buggy request (a stats call
without a valid time window, a batch item without a name). Used by ``manage.py simulate``.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from ingest.fakeapi.bodies import BASE36, entity_id

BUGGY_SHARE = 0.05
BATCH_MAX_ITEMS = 5
STATS_WINDOW_DAYS = (1, 7, 7, 30)
STATS_WINDOW_END = datetime(2026, 11, 28, tzinfo=UTC)


@dataclass(frozen=True)
class PlannedCall:
    """One request to make: method, path with its query string, and a JSON body for
    batch calls."""

    method: str
    path: str
    json: list | None = None


def make_accounts(count: int, seed: int = 0) -> list[str]:
    """``count`` distinct ads account ids like ``18ce54d4x5t``."""
    rng = random.Random(seed)
    accounts: dict[str, None] = {}
    while len(accounts) < count:
        accounts["".join(rng.choices(BASE36, k=rng.randint(5, 11)))] = None
    return list(accounts)


def _window(rng: random.Random) -> dict[str, str]:
    end = STATS_WINDOW_END - timedelta(days=rng.randint(0, 20))
    start = end - timedelta(days=rng.choice(STATS_WINDOW_DAYS))
    window = {"start_time": f"{start:%Y-%m-%dT%H:%M:%SZ}", "end_time": f"{end:%Y-%m-%dT%H:%M:%SZ}"}
    if rng.random() < BUGGY_SHARE:
        window.pop("end_time")
    elif rng.random() < BUGGY_SHARE:
        window["start_time"] = ""
    return window


def _stats_query(rng: random.Random) -> dict[str, str]:
    return {
        "entity": "CAMPAIGN",
        "entity_ids": ",".join(entity_id(rng) for _ in range(rng.randint(1, 3))),
        "granularity": "DAY",
        "metric_groups": "ENGAGEMENT,BILLING",
        "placement": "ALL_ON_TWITTER",
        **_window(rng),
    }


def _new_campaign(rng: random.Random) -> dict[str, str]:
    campaign = {
        "name": f"Campaign {rng.randint(1, 9999)}",
        "funding_instrument_id": entity_id(rng),
        "daily_budget_amount_local_micro": str(rng.choice((5, 20, 50, 100)) * 1_000_000),
        "entity_status": "PAUSED",
    }
    if rng.random() < BUGGY_SHARE:
        campaign.pop("name")
    return campaign


def _batch(rng: random.Random) -> list[dict]:
    return [
        {"operation_type": "Create", "params": _new_campaign(rng)}
        for _ in range(rng.randint(1, BATCH_MAX_ITEMS))
    ]


@dataclass(frozen=True)
class _Endpoint:
    method: str
    path: str  # with {account} and {id}
    weight: int
    query: Callable[[random.Random], dict[str, str]] = lambda rng: {}
    batch: bool = False


ENDPOINTS = (
    _Endpoint("GET", "/12/accounts", 2),
    _Endpoint("GET", "/12/accounts/{account}", 4),
    _Endpoint("GET", "/12/accounts/{account}/campaigns", 16, lambda rng: {"count": "200"}),
    _Endpoint("GET", "/12/accounts/{account}/campaigns/{id}", 6),
    _Endpoint(
        "GET", "/12/accounts/{account}/line_items", 12, lambda rng: {"campaign_ids": entity_id(rng)}
    ),
    _Endpoint("GET", "/12/accounts/{account}/line_items/{id}", 5),
    _Endpoint(
        "GET",
        "/12/accounts/{account}/promoted_tweets",
        8,
        lambda rng: {"line_item_ids": entity_id(rng)},
    ),
    _Endpoint("GET", "/12/stats/accounts/{account}", 18, _stats_query),
    _Endpoint("POST", "/12/accounts/{account}/campaigns", 4, _new_campaign),
    _Endpoint(
        "PUT",
        "/12/accounts/{account}/line_items/{id}",
        3,
        lambda rng: {"bid_amount_local_micro": str(rng.randint(1, 50) * 100_000)},
    ),
    _Endpoint("DELETE", "/12/accounts/{account}/promoted_tweets/{id}", 1),
    _Endpoint("POST", "/12/batch/accounts/{account}/campaigns", 3, batch=True),
)


class TrafficPlan:
    """An endless, seeded sequence of calls spread over ``accounts``."""

    def __init__(self, accounts: list[str], seed: int | str = 0) -> None:
        if not accounts:
            raise ValueError("traffic needs at least one account")
        self.accounts = accounts
        self._account_weights = [1 / (rank + 1) for rank in range(len(accounts))]
        self._endpoint_weights = [endpoint.weight for endpoint in ENDPOINTS]
        self._rng = random.Random(seed)

    def next_call(self) -> PlannedCall:
        """The next call to make (not thread-safe: one plan per thread)."""
        rng = self._rng
        endpoint = rng.choices(ENDPOINTS, self._endpoint_weights)[0]
        account = rng.choices(self.accounts, self._account_weights)[0]
        path = endpoint.path.format(account=account, id=entity_id(rng))
        query = endpoint.query(rng)
        if query:
            path = f"{path}?{urlencode(query)}"
        return PlannedCall(endpoint.method, path, _batch(rng) if endpoint.batch else None)
