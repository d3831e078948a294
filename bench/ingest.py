"""Ingest benchmark, run against `make up`: how fast envelopes become queryable end to end
(HTTP API -> Redis -> Celery worker -> PostgreSQL), against a raw COPY of the same rows into
the same tables (the practical limit) and a naive Django ORM save() per row.

    make bench-ingest BENCH_ARGS="--envelopes 200000"

The last line reads
``envelopes_per_s=<n> copy_per_s=<n> orm_per_s=<n> vs_copy=<ratio> vs_orm=<ratio>``.
The tables are emptied first and again at the end.
"""

import argparse
import itertools
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cpu
import orjson

# common is imported before any ingest module: it puts the repository root on sys.path ahead
# of bench/, whose ingest.py (this script) would otherwise shadow the ingest package.
from common import (
    ApiClient,
    counted_envelopes,
    create_token,
    make_records,
    parse,
    require_stack,
    setup_django,
    storage_rows,
    stored_batches,
    stored_envelopes,
    truncate_ingest_tables,
)
from tqdm import tqdm

from ingest.fold import upsert_rollups
from ingest.rollups import hourly_rollups
from ingest.store import ENVELOPE_COLUMNS, ERROR_COLUMNS, _envelope_row, _error_rows

INGEST_PATH = "/api/v1/ingest"
RECORDS_SPREAD = timedelta(hours=1)  # live traffic: occurred_at within the last hour
POLL_INTERVAL_S = 0.2
STALL_TIMEOUT_S = 120  # give up when the stored count has not moved for this long
RUN_DATA_DIR = Path(__file__).resolve().parent.parent / ".data" / "run"  # make up's services


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envelopes", type=int, default=200_000, help="envelopes to send")
    parser.add_argument("--batch", type=int, default=500, help="records per POST")
    parser.add_argument("--concurrency", type=int, default=4, help="HTTP client threads")
    parser.add_argument("--orm-sample", type=int, default=2_000, help="envelopes saved by ORM")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the web server")
    return parser.parse_args()


def encode_batches(records: list[dict], batch_size: int) -> list[tuple[bytes, int]]:
    """The POST bodies: (JSON array bytes, record count) per batch."""
    chunks = [records[start : start + batch_size] for start in range(0, len(records), batch_size)]
    return [(orjson.dumps(chunk), len(chunk)) for chunk in chunks]


# --- 1. end to end -----------------------------------------------------------------------------


def send_share(url: str, token: str, batches: list[tuple[bytes, int]], bar: tqdm) -> None:
    """POST batches one after another on one connection; every answer must accept them all."""
    client = ApiClient(url, token)
    try:
        for body, size in batches:
            status, answer = client.call("POST", INGEST_PATH, body)
            if status != 202 or answer.get("accepted") != size:
                raise RuntimeError(f"ingest answered {status} {str(answer)[:300]}")
            bar.update(size)
    finally:
        client.close()


def send_all(url: str, token: str, batches: list[tuple[bytes, int]], concurrency: int) -> None:
    """Send every batch from `concurrency` threads, each with its own connection."""
    total = sum(size for _, size in batches)
    with (
        tqdm(total=total, desc="POST", unit="env", unit_scale=True) as bar,
        ThreadPoolExecutor(concurrency) as pool,
    ):
        shares = [batches[index::concurrency] for index in range(concurrency)]
        for future in [pool.submit(send_share, url, token, share, bar) for share in shares]:
            future.result()


def wait_until_stored(batches: int, expected: int) -> None:
    """Poll the count of stored batches every POLL_INTERVAL_S until all `batches` are
    stored, then read the count of envelopes the aggregates see, which must be `expected`.

    Called once every batch is answered. The polls read one small table; only the last read
    folds the queued rollups, as any read does, so polling adds no folds to those the
    workers do."""
    last_count, last_change = -1, time.perf_counter()
    with tqdm(total=batches, desc="stored", unit="batch") as bar:
        while (count := stored_batches()) < batches:
            bar.update(count - bar.n)
            if count != last_count:
                last_count, last_change = count, time.perf_counter()
            elif time.perf_counter() - last_change > STALL_TIMEOUT_S:
                sys.exit(f"stalled at {count} of {batches} batches; see the worker log")
            time.sleep(POLL_INTERVAL_S)
        bar.update(count - bar.n)
    counted = counted_envelopes()
    stored = stored_envelopes()
    if counted != expected or stored != expected:
        sys.exit(
            f"{stored} envelopes stored and {counted} counted, {expected} sent: "
            "was the queue empty at the start?"
        )


def end_to_end(url: str, records: list[dict], batch_size: int, concurrency: int) -> float:
    """Envelopes/s from the first POST until all are queryable."""
    token = create_token("ingest")
    batches = encode_batches(records, batch_size)
    record_bytes = sum(len(body) for body, _ in batches) / len(records)
    print(
        f"end to end: {len(records)} envelopes ({record_bytes:.0f} bytes each on average) in "
        f"{len(batches)} batches of {batch_size}, {concurrency} client threads"
    )
    cpu_before = cpu.snapshot(RUN_DATA_DIR)
    started = time.perf_counter()
    send_all(url, token, batches, concurrency)
    http_s = time.perf_counter() - started
    print(
        f"  HTTP: all {len(batches)} batches answered 202 in {http_s:.1f} s "
        f"= {len(records) / http_s:,.0f} envelopes/s accepted"
    )
    wait_until_stored(len(batches), len(records))
    elapsed_s = time.perf_counter() - started
    rate = len(records) / elapsed_s
    print(f"  stored and queryable in {elapsed_s:.1f} s = {rate:,.0f} envelopes/s")
    print("  " + cpu.per_envelope_report(cpu_before, cpu.snapshot(RUN_DATA_DIR), len(records)))
    return rate


# --- 2. raw COPY -----------------------------------------------------------------------------


def prepare_rows(records: list[dict]) -> tuple[list, list[tuple], list[tuple]]:
    """Parsed envelopes, their rows (with ids 1..N) and error rows, as the store writes them."""
    received_at = datetime.now(UTC)
    envelopes, envelope_rows, error_rows = [], [], []
    for index, record in enumerate(tqdm(records, desc="prepare rows", unit="env")):
        envelope = parse(record, received_at)
        envelope_id = index + 1
        row, errors = storage_rows(envelope_id, envelope, received_at)
        envelopes.append(envelope)
        envelope_rows.append((envelope_id, *row))
        error_rows.extend(errors)
    return envelopes, envelope_rows, error_rows


def raw_copy(records: list[dict]) -> float:
    """Envelopes/s of one transaction that COPYs every envelope row straight into
    ingest_envelope (ids given, no staging table, no ON CONFLICT), COPYs every error row into
    ingest_error, counts and upserts the rollup rows with the product's `upsert_rollups` over
    all the envelopes at once, and commits. Validation, parsing and building the row tuples
    (JSON serialisation included) happen before the clock starts."""
    from django.db import connection, transaction

    envelopes, envelope_rows, error_rows = prepare_rows(records)
    truncate_ingest_tables()  # RESTART IDENTITY: the ids 1..N given above are free
    marks = [time.perf_counter()]
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        columns = ", ".join(("id", *ENVELOPE_COLUMNS))
        with cursor.copy(f"COPY ingest_envelope ({columns}) FROM STDIN") as copy:
            for row in envelope_rows:
                copy.write_row(row)
        marks.append(time.perf_counter())
        with cursor.copy(f"COPY ingest_error ({', '.join(ERROR_COLUMNS)}) FROM STDIN") as copy:
            for row in error_rows:
                copy.write_row(row)
        marks.append(time.perf_counter())
        # One aggregation over all rows: per-batch upserts inside one transaction would stack
        # hundreds of versions of the same rollup rows, which no real batch does.
        upsert_rollups(cursor, hourly_rollups(envelopes))
        marks.append(time.perf_counter())
    marks.append(time.perf_counter())
    envelopes_s, errors_s, rollups_s, commit_s = (b - a for a, b in itertools.pairwise(marks))
    rate = len(records) / (marks[-1] - marks[0])
    print(
        f"raw COPY: {len(envelope_rows)} envelopes, {len(error_rows)} errors and the rollups in "
        f"{marks[-1] - marks[0]:.1f} s = {rate:,.0f} envelopes/s (envelopes {envelopes_s:.1f} s, "
        f"errors {errors_s:.1f} s, rollups {rollups_s:.1f} s, commit {commit_s:.1f} s)"
    )
    return rate


# --- 3. naive ORM ----------------------------------------------------------------------------


def naive_orm(records: list[dict]) -> float:
    """Envelopes/s of validate + parse + Envelope.save() + Error.save() per row, each save its
    own autocommit transaction (the rollups are not maintained, which flatters the ORM)."""
    from ingest.models import Envelope, Error

    truncate_ingest_tables()
    received_at = datetime.now(UTC)
    started = time.perf_counter()
    for record in tqdm(records, desc="ORM save()", unit="env"):
        parsed = parse(record, received_at)
        row = _envelope_row(parsed, received_at)
        envelope = Envelope(**dict(zip(ENVELOPE_COLUMNS, row, strict=True)))
        envelope.save()
        for error_row in _error_rows(envelope.id, parsed):
            Error(**dict(zip(ERROR_COLUMNS, error_row, strict=True))).save()
    elapsed_s = time.perf_counter() - started
    rate = len(records) / elapsed_s
    print(f"naive ORM: {len(records)} envelopes in {elapsed_s:.1f} s = {rate:,.0f} envelopes/s")
    return rate


def main() -> None:
    args = parse_args()
    require_stack(args.url)
    setup_django()
    until = datetime.now(UTC)
    print(f"generating {args.envelopes} records ...", flush=True)
    records = make_records(args.envelopes, until - RECORDS_SPREAD, until)
    truncate_ingest_tables()
    envelopes_per_s = end_to_end(args.url, records, args.batch, args.concurrency)
    copy_per_s = raw_copy(records)
    orm_per_s = naive_orm(records[: args.orm_sample])
    truncate_ingest_tables()
    print(
        f"envelopes_per_s={envelopes_per_s:.0f} copy_per_s={copy_per_s:.0f} "
        f"orm_per_s={orm_per_s:.0f} vs_copy={envelopes_per_s / copy_per_s:.2f} "
        f"vs_orm={envelopes_per_s / orm_per_s:.2f}"
    )


if __name__ == "__main__":
    main()
