"""Time one full evaluation of 1,000 alert rules over the data of bench/query.py.

Run after `make bench-query` has loaded its 10 million envelopes (or any data): the rules are
built from the accounts, codes and endpoints actually stored, in a realistic mix of
thresholds and spikes, windows from 5 minutes to 1 hour, some grouped per account. They are
created, evaluated once as Celery beat would (`evaluate_all`), timed, and deleted again. No
channel is attached: this measures reading and deciding, not sending.

    make up && .venv/bin/python bench/alerts.py    (with the Makefile's RUN_ENV variables)

Last line: evaluation_s=<seconds> rules=<n> per_rule_ms=<ms>
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import setup_django

BENCH_PREFIX = "bench-alert-"


def distinct(column: str, table: str, limit: int) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL "
            f"GROUP BY {column} ORDER BY sum(errors) DESC LIMIT %s",
            [limit],
        )
        return [row[0] for row in cursor.fetchall()]


def rule_mix(count: int) -> list:
    """`count` unsaved rules: a realistic mix built from what is stored."""
    from dashboard.alerts.models import Rule

    accounts = distinct("account_id", "ingest_dailyrequestrollup", 200) or ["none"]
    codes = distinct("code", "ingest_dailyerrorrollup", 40) or ["NONE"]
    endpoints = distinct("endpoint", "ingest_dailyrequestrollup", 40) or ["GET /"]
    kinds = [
        lambda i: Rule(account=accounts[i % len(accounts)], window_seconds=300, threshold=20),
        lambda i: Rule(
            code=codes[i % len(codes)],
            window_seconds=900,
            condition="spike",
            threshold=3,
            baseline_windows=24,
            min_count=10,
        ),
        lambda i: Rule(
            endpoint=endpoints[i % len(endpoints)],
            metric="failure_rate",
            window_seconds=3600,
            threshold=25,
        ),
        lambda i: Rule(
            code=codes[i % len(codes)],
            group_by="account",
            window_seconds=600,
            condition="spike",
            threshold=3,
            baseline_windows=12,
            min_count=5,
        ),
        lambda i: Rule(
            account=accounts[i % len(accounts)],
            window_seconds=1800,
            condition="spike",
            baseline=Rule.DAY_AGO,
            threshold=2,
            min_count=10,
        ),
    ]
    rules = []
    for index in range(count):
        rule = kinds[index % len(kinds)](index // len(kinds))
        rule.name = f"{BENCH_PREFIX}{index}"
        rules.append(rule)
    return rules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=1000)
    args = parser.parse_args()
    setup_django()
    from django.utils import timezone

    from dashboard.alerts.evaluate import evaluate_all
    from dashboard.alerts.models import Rule
    from ingest.models import Envelope

    stored = Envelope.objects.count()
    Rule.objects.filter(name__startswith=BENCH_PREFIX).delete()
    active = Rule.objects.filter(paused=False).count()
    Rule.objects.bulk_create(rule_mix(args.rules))
    try:
        started = time.perf_counter()
        evaluate_all(timezone.now())
        elapsed = time.perf_counter() - started
    finally:
        Rule.objects.filter(name__startswith=BENCH_PREFIX).delete()
    rules = args.rules + active
    print(f"envelopes stored: {stored:,}; rules evaluated: {rules}")
    print(
        f"one full evaluation: {elapsed:.2f} s ({elapsed / rules * 1000:.1f} ms per rule); "
        f"beat runs it every 60 s"
    )
    print(f"evaluation_s={elapsed:.2f} rules={rules} per_rule_ms={elapsed / rules * 1000:.1f}")


if __name__ == "__main__":
    main()
