"""Retention benchmark, run against `make up`: load envelopes over the last days (as
bench/query.py does), then delete the oldest whole days as the hourly retention task does,
while a client keeps reading 30-day summaries through the API.

    make bench-retention BENCH_ARGS="--envelopes 10000000"      # add --reuse to skip loading

Prints how long the purge took, envelopes deleted per second, and the p95 of the reads made
during it against the p95 of the same reads before it. The last line reads
``purge_s=<n> deleted=<n> deleted_per_s=<n> read_p95_ms_before=<n> read_p95_ms_during=<n>``.
The purge deletes data: load again (drop --reuse) before the next bench/query.py run.
"""

import argparse
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

# common is imported before any ingest module: it puts the repository root on sys.path.
from common import ApiClient, create_token, percentile, require_stack, setup_django, timed_get
from query import SUMMARY_PATH, load

READS_BEFORE = 20


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envelopes", type=int, default=10_000_000, help="envelopes to load")
    parser.add_argument("--days", type=int, default=30, help="days the envelopes spread over")
    parser.add_argument("--purge-days", type=int, default=2, help="oldest days to delete")
    parser.add_argument("--reuse", action="store_true", help="keep the envelopes stored")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the web server")
    return parser.parse_args()


def read_until(client: ApiClient, target: str, done: threading.Event, timings_ms: list) -> None:
    """Read again and again until `done`, at least once."""
    timings_ms.append(timed_get(client, target))
    while not done.is_set():
        timings_ms.append(timed_get(client, target))


def oldest_stored() -> datetime:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT min(occurred_at) FROM ingest_envelope")
        return cursor.fetchone()[0]


def main() -> None:
    args = parse_args()
    require_stack(args.url)
    setup_django()
    if not args.reuse:
        load(args.envelopes, args.days)
    from ingest.retention import purge_before
    from ingest.rollups import day_start

    now = datetime.now(UTC)
    query = urlencode({"group_by": "code", "since": (now - timedelta(days=30)).isoformat()})
    target = f"{SUMMARY_PATH}?{query}"
    client = ApiClient(args.url, create_token("read"))
    before_ms = [timed_get(client, target) for _ in range(READS_BEFORE)]

    cutoff = day_start(oldest_stored()) + timedelta(days=args.purge_days)
    done, during_ms = threading.Event(), []
    reader = threading.Thread(target=read_until, args=(client, target, done, during_ms))
    reader.start()
    started = time.perf_counter()
    deleted = purge_before(cutoff)
    purge_s = time.perf_counter() - started
    done.set()
    reader.join()
    client.close()

    print(f"purged {deleted} envelopes older than {cutoff:%Y-%m-%d} in {purge_s:.1f} s")
    print(
        f"30-day summaries: p95 {percentile(before_ms, 0.95):.0f} ms before the purge "
        f"({len(before_ms)} reads), {percentile(during_ms, 0.95):.0f} ms during it "
        f"({len(during_ms)} reads)"
    )
    print(
        f"purge_s={purge_s:.1f} deleted={deleted} deleted_per_s={deleted / purge_s:.0f} "
        f"read_p95_ms_before={percentile(before_ms, 0.95):.0f} "
        f"read_p95_ms_during={percentile(during_ms, 0.95):.0f}"
    )


if __name__ == "__main__":
    main()
