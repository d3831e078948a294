"""Read API benchmark, run against `make up`: load envelopes spread over the last days with the
product's own store (COPY + rollups), then time each read API call over 24-hour, 7-day and
30-day windows ending now.

    make bench-query BENCH_ARGS="--envelopes 10000000"      # then add --reuse to skip loading

The last line reads ``worst_p95_ms=<n>``.
"""

import argparse
import gc
import multiprocessing
import queue
import random
import sys
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

# common is imported before any ingest module: it puts the repository root on sys.path.
from common import (
    BUSIEST_ACCOUNT,
    INGEST_TABLES,
    SEED,
    ApiClient,
    create_token,
    make_records,
    parse,
    percentile,
    require_stack,
    setup_django,
    stored_envelopes,
    timed_get,
    truncate_ingest_tables,
)
from tqdm import tqdm

from ingest.fold import fold_pending_rollups, fold_when_due
from ingest.parse import ParsedEnvelope
from ingest.store import store_envelopes

CHUNK_ENVELOPES = 5_000
LOAD_PROCESSES = 2
TEMPLATE_POOL_SIZE = 50_000
WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
AGGREGATE_KINDS = ("summary", "timeseries")  # the calls that count for worst_p95_ms
SUMMARY_PATH = "/api/v1/errors/summary"
TIMESERIES_PATH = "/api/v1/errors/timeseries"
REQUESTS_PATH = "/api/v1/requests"
GROUP_BYS = ("code", "http_status", "account", "parameter", "endpoint")
READER_THREADS = (1, 3)  # 3 = the web processes `make up` runs
READER_CALLS = 30  # per thread
PROGRESS_POLL_S = 5


@dataclass(frozen=True)
class LoadPlan:
    """Envelope k occurs at since + span * (k + jitter) / envelopes: uniform and in time
    order, as live traffic arrives; chunk c holds envelopes c*CHUNK_ENVELOPES onwards."""

    envelopes: int
    since: datetime
    span: timedelta
    received_at: datetime

    @property
    def chunks(self) -> int:
        return -(-self.envelopes // CHUNK_ENVELOPES)


@dataclass(frozen=True)
class ApiCall:
    """One read API call to time, and the windows to time it over."""

    path: str
    query: dict
    windows: tuple[str, ...] = tuple(WINDOWS)

    @property
    def kind(self) -> str:
        """summary, timeseries or requests."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def label(self) -> str:
        return " ".join([self.kind, *(f"{name}={value}" for name, value in self.query.items())])


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envelopes", type=int, default=10_000_000, help="envelopes to load")
    parser.add_argument("--days", type=int, default=30, help="days the envelopes spread over")
    parser.add_argument(
        "--reuse", action="store_true", help="skip loading when that many envelopes are stored"
    )
    parser.add_argument("--samples", type=int, default=20, help="timed requests per call")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the web server")
    return parser.parse_args()


# --- loading -----------------------------------------------------------------------------------


def build_templates(received_at: datetime) -> list[ParsedEnvelope]:
    """A pool of parsed envelopes of the realistic mix. Loading varies only their time: the
    account stays the one of the template's URL and request.params echo, as in real data."""
    records = make_records(TEMPLATE_POOL_SIZE, received_at - timedelta(days=1), received_at)
    return [parse(record, received_at) for record in tqdm(records, desc="templates", unit="env")]


def chunk_envelopes(chunk: int, plan: LoadPlan, templates: list[ParsedEnvelope]) -> list:
    """The envelopes of one chunk, built from random templates."""
    rng = random.Random(SEED + chunk)
    first = chunk * CHUNK_ENVELOPES
    envelopes = []
    for index in range(first, min(first + CHUNK_ENVELOPES, plan.envelopes)):
        moment = plan.since + plan.span * ((index + rng.random()) / plan.envelopes)
        envelope = replace(rng.choice(templates), occurred_at=moment)
        envelopes.append(envelope)
    return envelopes


def load_worker(worker: int, plan: LoadPlan, templates: list, progress) -> None:
    """Store every LOAD_PROCESSES-th chunk, reporting each stored count on `progress`."""
    from django.db import connections

    setup_django()
    try:
        for chunk in range(worker, plan.chunks, LOAD_PROCESSES):
            envelopes = chunk_envelopes(chunk, plan, templates)
            progress.put(store_envelopes(f"bench:{chunk}", envelopes, plan.received_at))
            fold_when_due()  # as workers do
    finally:
        connections.close_all()


def load(envelopes: int, days: int) -> None:
    """Empty the tables and store `envelopes` spread over the last `days` days, ending now."""
    from django.db import connections

    received_at = datetime.now(UTC)
    plan = LoadPlan(
        envelopes, received_at - timedelta(days=days), timedelta(days=days), received_at
    )
    templates = build_templates(received_at)
    # The collector stops scanning the templates on every pass: chunks build ~40% faster.
    gc.freeze()
    truncate_ingest_tables()
    connections.close_all()  # the forked workers must not share the parent's connection
    context = multiprocessing.get_context("fork")
    progress = context.Queue()
    workers = [
        context.Process(target=load_worker, args=(worker, plan, templates, progress))
        for worker in range(LOAD_PROCESSES)
    ]
    started = time.perf_counter()
    for process in workers:
        process.start()
    follow_progress(workers, progress, envelopes)
    for process in workers:
        process.join()
    elapsed_s = time.perf_counter() - started
    print(
        f"loaded {envelopes} envelopes over {days} days in {elapsed_s:.0f} s "
        f"= {envelopes / elapsed_s:,.0f} envelopes/s"
    )
    fold_pending_rollups()
    vacuum_analyze()


def follow_progress(workers: list, progress, total: int) -> None:
    """Show the stored count until it reaches `total`; exit if a load process fails."""
    with tqdm(total=total, desc="load", unit="env", unit_scale=True) as bar:
        while bar.n < total:
            try:
                bar.update(progress.get(timeout=PROGRESS_POLL_S))
            except queue.Empty:
                if any(process.exitcode for process in workers):
                    sys.exit("a load process failed; see its traceback above")


def vacuum_analyze() -> None:
    """Fresh visibility maps and planner statistics, as autovacuum would give in time."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {', '.join(INGEST_TABLES)}")
    print(f"VACUUM ANALYZE took {time.perf_counter() - started:.0f} s")


# --- timing the read API -----------------------------------------------------------------------


def api_calls() -> list[ApiCall]:
    """Every call timed, with its windows."""
    return [
        *(ApiCall(SUMMARY_PATH, {"group_by": group_by}) for group_by in GROUP_BYS),
        ApiCall(SUMMARY_PATH, {"group_by": "code", "account": BUSIEST_ACCOUNT}),
        ApiCall(SUMMARY_PATH, {"group_by": "account", "code": "INVALID_PARAMETER"}),
        ApiCall(TIMESERIES_PATH, {"interval": "hour"}, ("24h", "7d")),
        ApiCall(TIMESERIES_PATH, {"interval": "day"}, ("7d", "30d")),
        ApiCall(REQUESTS_PATH, {"failed": "true"}),
    ]


def window_query(window: str, until: datetime) -> dict:
    since = until - WINDOWS[window]
    return {"since": since.isoformat(), "until": until.isoformat()}


def time_call(client: ApiClient, target: str, samples: int) -> list[float]:
    """Milliseconds of `samples` requests after one warm-up; each must answer 200."""
    timed_get(client, target)
    return [timed_get(client, target) for _ in range(samples)]


def measure(client: ApiClient, until: datetime, samples: int) -> list[tuple[ApiCall, str, list]]:
    """(call, window, timings in ms) for every call and window."""
    results = []
    plan = [(call, window) for call in api_calls() for window in call.windows]
    for call, window in tqdm(plan, desc="API calls", unit="call"):
        target = f"{call.path}?{urlencode({**call.query, **window_query(window, until)})}"
        results.append((call, window, time_call(client, target, samples)))
    return results


def print_table(results: list[tuple[ApiCall, str, list]]) -> None:
    print(f"{'call':50s} {'window':>6s} {'p50 ms':>8s} {'p95 ms':>8s}")
    for call, window, timings_ms in results:
        p50, p95 = percentile(timings_ms, 0.50), percentile(timings_ms, 0.95)
        print(f"{call.label:50s} {window:>6s} {p50:8.1f} {p95:8.1f}")


def concurrent_readers(url: str, token: str, until: datetime) -> None:
    """30-day summaries from several clients at once: calls/s and p95 per number of threads.
    Reads share the database (no lock between readers), so more threads should give more
    calls/s, up to the cores."""
    query = urlencode(window_query("30d", until))
    targets = [f"{SUMMARY_PATH}?group_by={group_by}&{query}" for group_by in GROUP_BYS]

    def read(timings_ms: list[float]) -> None:
        client = ApiClient(url, token)
        try:
            for index in range(READER_CALLS):
                timings_ms.append(timed_get(client, targets[index % len(targets)]))
        finally:
            client.close()

    for count in READER_THREADS:
        timings_ms: list[float] = []
        threads = [threading.Thread(target=read, args=(timings_ms,)) for _ in range(count)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rate = len(timings_ms) / (time.perf_counter() - started)
        print(
            f"concurrent 30-day summaries, {count} client thread(s): {rate:.1f} calls/s, "
            f"p95 {percentile(timings_ms, 0.95):.0f} ms"
        )


def check_totals(client: ApiClient, until: datetime) -> None:
    """The 30-day summary totals must equal a count over the raw rows of the same window."""
    from django.db import connection

    query = window_query("30d", until)
    status, answer = client.call("GET", f"{SUMMARY_PATH}?{urlencode(query)}")
    if status != 200:
        sys.exit(f"the 30-day summary answered {status}: {str(answer)[:300]}")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE failed), coalesce(sum(error_count), 0) "
            "FROM ingest_envelope WHERE occurred_at >= %s AND occurred_at < %s",
            [until - WINDOWS["30d"], until],
        )
        requests, failed, errors = cursor.fetchone()
    api = answer["totals"]
    same = (api["requests"], api["failed_requests"], api["errors"]) == (requests, failed, errors)
    print(
        f"30-day totals: API requests={api['requests']} failed={api['failed_requests']} "
        f"errors={api['errors']}; raw rows requests={requests} failed={failed} "
        f"errors={errors}: {'match' if same else 'MISMATCH'}"
    )


def main() -> None:
    args = parse_args()
    require_stack(args.url)
    setup_django()
    stored = stored_envelopes()
    if args.reuse and stored >= args.envelopes:
        print(f"reusing the {stored} envelopes already stored")
    else:
        load(args.envelopes, args.days)
    token = create_token("query")
    client = ApiClient(args.url, token)
    until = datetime.now(UTC)
    results = measure(client, until, args.samples)
    print_table(results)
    concurrent_readers(args.url, token, until)
    check_totals(client, until)
    client.close()
    # The slowest p95 among the summary and timeseries calls over any window; the
    # /requests list is shown in the table but not counted.
    worst_p95_ms = max(
        percentile(timings, 0.95) for call, _, timings in results if call.kind in AGGREGATE_KINDS
    )
    print(f"worst_p95_ms={worst_p95_ms:.0f}")


if __name__ == "__main__":
    main()
