"""Dashboard page benchmark: the server time of each page, on the data `bench/query.py` loads.

    make bench-query BENCH_ARGS="--envelopes 10000000"   # loads the data (once)
    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/pages.py [--samples 20]

Each page is rendered in this process by Django's test Client, logged in with force_login,
against the database in DATABASE_URL: the time around `client.get` is the server's time
(middleware, queries, template rendering) without the network. Every page gets one warm-up
request, then `--samples` timed ones; the request detail cycles through ~20 failed requests
spread over the 30 days. This script loads no envelopes.

The last line reads ``overview_p95_ms=<n> detail_p95_ms=<n>``: the slowest overview variant
and the request detail (targets: < 500 ms and < 100 ms p95 over 10 million envelopes).
"""

import argparse
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# common is imported before any project module: it puts the repository root on sys.path.
from common import BUSIEST_ACCOUNT, percentile, setup_django, stored_envelopes

BENCH_ENVELOPES = 10_000_000  # what bench/query.py loads by default
MIN_ENVELOPES = 1_000  # fewer than this: nothing meaningful to time
DETAIL_IDS = 20
WINDOW = timedelta(days=30)
BENCH_USERNAME = "bench-pages"
OVERVIEW_TARGET_MS = 500
DETAIL_TARGET_MS = 100
MS_PER_S = 1_000
DETAIL = "request detail"


@dataclass
class Page:
    """One row of the table: a page family and the paths to time (cycled through)."""

    name: str
    paths: list[str]
    target_ms: float | None = None
    timings_ms: list[float] = field(default_factory=list)

    @property
    def shown_path(self) -> str:
        return self.paths[0] if len(self.paths) == 1 else f"/requests/<{len(self.paths)} ids>/"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=20, help="timed requests per page")
    parser.add_argument(
        "--account", help=f"account for the filtered overview (default {BUSIEST_ACCOUNT})"
    )
    args = parser.parse_args()
    if args.samples < 1:
        parser.error("--samples must be at least 1")
    return args


# --- what to time ------------------------------------------------------------------------------


def failed_request_ids(count: int, now: datetime) -> list[int]:
    """Ids of failed requests spread evenly over the 30 days (newest at or before each of
    `count` instants): one index probe each on the partial index of failed requests."""
    from django.db import connection

    since = now - WINDOW
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(occurred_at), max(occurred_at) FROM ingest_envelope "
            "WHERE failed AND occurred_at >= %s AND occurred_at <= %s",
            [since, now],
        )
        first, last = cursor.fetchone()
        if first is None:
            return []
        ids: list[int] = []
        for index in range(count):
            moment = last - (last - first) * index / max(count - 1, 1)
            cursor.execute(
                "SELECT id FROM ingest_envelope WHERE failed AND occurred_at <= %s "
                "ORDER BY occurred_at DESC, id DESC LIMIT 1",
                [moment],
            )
            row = cursor.fetchone()
            if row and row[0] not in ids:
                ids.append(row[0])
        return ids


def filter_account(requested: str | None) -> str:
    """The bench data's busiest account when stored, else the newest envelope's account."""
    from django.db import connection

    if requested:
        return requested
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM ingest_envelope WHERE account_id = %s LIMIT 1", [BUSIEST_ACCOUNT]
        )
        if cursor.fetchone():
            return BUSIEST_ACCOUNT
        cursor.execute(
            "SELECT account_id FROM ingest_envelope WHERE account_id IS NOT NULL "
            "ORDER BY occurred_at DESC LIMIT 1"
        )
        row = cursor.fetchone()
    return row[0] if row else "null"


def pages_to_time(account: str, detail_ids: list[int]) -> list[Page]:
    from urllib.parse import urlencode

    return [
        Page("overview 30d", ["/?range=30d"], OVERVIEW_TARGET_MS),
        Page("overview 24h", ["/?range=24h"], OVERVIEW_TARGET_MS),
        Page(
            "overview 30d, one account",
            [f"/?{urlencode({'range': '30d', 'account': account})}"],
            OVERVIEW_TARGET_MS,
        ),
        Page("requests 30d", ["/requests/?range=30d"]),
        Page(
            DETAIL,
            [f"/requests/{envelope_id}/" for envelope_id in detail_ids],
            DETAIL_TARGET_MS,
        ),
        Page("error codes 30d", ["/codes/?range=30d"]),
        Page("accounts 30d", ["/accounts/?range=30d"]),
    ]


# --- timing ------------------------------------------------------------------------------------


def logged_in_client():
    """A test Client with a session for the bench user (created when missing; it has no
    usable password). Returns the client and whether the user was created here."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, created = get_user_model().objects.get_or_create(username=BENCH_USERNAME)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    hosts = [host.lstrip(".") for host in settings.ALLOWED_HOSTS if host != "*"]
    client = Client(HTTP_HOST=hosts[0] if hosts else "testserver")
    client.force_login(user)
    return client, user, created


def get(client, path: str) -> float:
    """Milliseconds the server takes to answer `path`; it must answer 200."""
    started = time.perf_counter()
    response = client.get(path)
    elapsed_ms = (time.perf_counter() - started) * MS_PER_S
    if response.status_code != 200:
        sys.exit(f"GET {path} answered {response.status_code}: {response.content[:300]!r}")
    return elapsed_ms


def measure(client, pages: list[Page], samples: int) -> None:
    for page in pages:
        get(client, page.paths[0])  # warm-up
        page.timings_ms = [
            get(client, page.paths[sample % len(page.paths)]) for sample in range(samples)
        ]
        p95 = percentile(page.timings_ms, 0.95)
        print(f"  {page.name}: p95 {p95:.0f} ms", file=sys.stderr, flush=True)


def print_table(pages: list[Page], samples: int) -> None:
    print(f"{'page':26s} {'path':36s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} {'target':>12s}")
    for page in pages:
        p50, p95 = percentile(page.timings_ms, 0.50), percentile(page.timings_ms, 0.95)
        verdict = ""
        if page.target_ms is not None:
            verdict = f"<{page.target_ms:.0f} {'ok' if p95 < page.target_ms else 'OVER'}"
        path = page.shown_path if len(page.shown_path) <= 36 else page.shown_path[:33] + "..."
        print(
            f"{page.name:26s} {path:36s} {p50:8.1f} {p95:8.1f} "
            f"{max(page.timings_ms):8.1f} {verdict:>12s}"
        )
    print(f"({samples} timed requests per page after one warm-up; server time in-process)")


def main() -> None:
    args = parse_args()
    setup_django()
    from django.conf import settings

    stored = stored_envelopes()
    if stored < MIN_ENVELOPES:
        sys.exit(
            f"ingest_envelope holds {stored} envelopes: nothing meaningful to time. Load the "
            f"benchmark data first: make bench-query BENCH_ARGS='--envelopes {BENCH_ENVELOPES}' "
            "(bench/query.py), with this DATABASE_URL."
        )
    now = datetime.now(UTC)
    detail_ids = failed_request_ids(DETAIL_IDS, now)
    if not detail_ids:
        sys.exit("no failed request in the last 30 days: load the data with bench/query.py")
    account = filter_account(args.account)
    print(
        f"{stored:,} envelopes stored; detail over {len(detail_ids)} failed requests; "
        f"account filter {account}"
    )
    if stored < BENCH_ENVELOPES:
        print(f"note: bench/query.py loads {BENCH_ENVELOPES:,}; the targets apply to that size.")
    if settings.DEBUG:
        print("note: DEBUG is on; it records every query and slows every page")

    client, user, created = logged_in_client()
    pages = pages_to_time(account, detail_ids)
    try:
        measure(client, pages, args.samples)
    finally:
        client.logout()
        if created:
            user.delete()
    print_table(pages, args.samples)
    stored_after = stored_envelopes()
    if stored_after != stored:
        print(f"note: the table changed during the run: {stored:,} -> {stored_after:,} envelopes")
    overview_p95 = max(
        percentile(page.timings_ms, 0.95) for page in pages if page.name.startswith("overview")
    )
    detail_p95 = next(percentile(p.timings_ms, 0.95) for p in pages if p.name == DETAIL)
    print(f"overview_p95_ms={overview_p95:.0f} detail_p95_ms={detail_p95:.0f}")


if __name__ == "__main__":
    main()
