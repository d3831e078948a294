"""EnvelopeShipper against a real local ingest server: batching, drops, retries, draining."""

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from capture_servers import INGEST_TOKEN, Reply, closed_port_url

from ingest.client import EnvelopeShipper, make_record

REPO_ROOT = Path(__file__).resolve().parents[2]


def record(number: int, **fields) -> dict:
    """A valid ingest record whose URL says which one it is."""
    return {"status": 200, "body": {"data": []}, "url": f"/12/accounts/a{number}", **fields}


def numbers(records: list[dict]) -> list[int]:
    return [int(item["url"].rsplit("/a", 1)[1]) for item in records]


def assert_balanced(stats: dict) -> None:
    """Every captured record is accounted for exactly once."""
    accounted = stats["sent"] + stats["rejected"] + stats["dropped"] + stats["queued"]
    assert stats["captured"] == accounted, stats


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


# --- batching -----------------------------------------------------------------------------


def test_a_full_batch_is_sent_without_waiting_for_the_interval(ingest_server, make_shipper):
    shipper = make_shipper(batch_max_records=10, flush_interval_seconds=60)
    for number in range(25):
        shipper.capture(record(number))
    posts = ingest_server.wait_posts(2)
    assert [len(post.records) for post in posts] == [10, 10]
    wait_until(lambda: shipper.stats()["queued"] == 5)  # the rest waits for a flush
    time.sleep(0.1)
    assert len(ingest_server.posts) == 2
    assert shipper.flush(5)
    assert numbers(ingest_server.stored) == list(range(25))
    assert [len(post.records) for post in ingest_server.posts] == [10, 10, 5]


def test_queued_records_are_sent_after_the_flush_interval(ingest_server, make_shipper):
    shipper = make_shipper(batch_max_records=500, flush_interval_seconds=0.2)
    started = time.monotonic()
    for number in range(3):
        shipper.capture(record(number))
    [post] = ingest_server.wait_posts(1, timeout=3)
    assert post.at - started < 1.5
    assert numbers(post.records) == [0, 1, 2]
    assert post.path == "/api/v1/ingest"
    assert post.headers["Authorization"] == f"Bearer {INGEST_TOKEN}"


def test_every_record_gets_an_idempotency_id_and_a_given_one_is_kept(ingest_server, shipper):
    shipper.capture(record(1))
    shipper.capture(record(2, id="mine-2"))
    assert shipper.flush(5)
    ids = [item["id"] for item in ingest_server.posts[0].records]
    assert ids[1] == "mine-2" and re.fullmatch(r"[0-9a-f]{32}-[0-9a-f]+", ids[0])


# --- a full queue drops the oldest --------------------------------------------------------


def test_a_full_queue_drops_the_oldest_and_counts_them(ingest_server, make_shipper):
    shipper = make_shipper(queue_max_records=5, batch_max_records=100, flush_interval_seconds=60)
    ingest_server.gate.clear()  # the first batch is held: the sender is busy
    shipper.capture(record(0))
    shipper.flush(timeout=0)
    wait_until(lambda: ingest_server.arrivals == 1)
    for number in range(1, 13):
        shipper.capture(record(number))
    stats = shipper.stats()
    assert stats["dropped"] == 7 and stats["queued"] == 6
    ingest_server.gate.set()
    assert shipper.flush(5)
    assert numbers(ingest_server.stored) == [0, 8, 9, 10, 11, 12]
    assert shipper.stats()["sent"] == 6
    assert_balanced(shipper.stats())


# --- retries ------------------------------------------------------------------------------


def test_two_failures_then_success_delivers_each_record_exactly_once(ingest_server, shipper):
    ingest_server.script.extend([Reply(500), Reply(503)])
    for number in range(3):
        shipper.capture(record(number))
    assert shipper.flush(5)
    posts = ingest_server.posts
    assert [post.status for post in posts] == [500, 503, 202]
    assert posts[0].body == posts[1].body == posts[2].body  # the same ids every time
    assert numbers(ingest_server.stored) == [0, 1, 2]
    stats = shipper.stats()
    assert (stats["sent"], stats["retries"], stats["failed_batches"]) == (3, 2, 0)
    assert_balanced(stats)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_throttling_and_server_errors_are_retried(ingest_server, shipper, status):
    ingest_server.script.append(Reply(status))
    shipper.capture(record(1))
    assert shipper.flush(5)
    assert [post.status for post in ingest_server.posts] == [status, 202]
    assert shipper.stats()["sent"] == 1


def test_retry_after_is_honoured(ingest_server, shipper):
    ingest_server.script.append(Reply(503, headers={"Retry-After": "1"}))
    shipper.capture(record(1))
    assert shipper.flush(5)
    first, second = ingest_server.posts
    assert second.at - first.at >= 0.95  # not the 10-50 ms backoff of this shipper


def test_a_timed_out_batch_is_retried_with_the_same_ids(ingest_server, make_shipper):
    shipper = make_shipper(timeout_seconds=0.3, flush_interval_seconds=60)
    ingest_server.script.append(Reply(delay=0.6))
    shipper.capture(record(1))
    assert shipper.flush(5)
    posts = ingest_server.wait_posts(2)
    assert posts[0].body == posts[1].body
    assert len(ingest_server.stored) == 1
    assert shipper.stats()["retries"] >= 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
def test_refused_batches_are_not_retried_but_dropped_and_counted(
    ingest_server, shipper, status, caplog
):
    ingest_server.script.append(Reply(status))
    for number in range(4):
        shipper.capture(record(number))
    assert shipper.flush(5)
    assert [post.status for post in ingest_server.posts] == [status]
    stats = shipper.stats()
    assert (stats["failed_batches"], stats["dropped"], stats["retries"]) == (1, 4, 0)
    assert f"HTTP {status}" in caplog.text
    shipper.capture(record(9))  # the shipper carries on
    assert shipper.flush(5)
    assert numbers(ingest_server.stored) == [9]


def test_a_bad_token_is_refused_and_not_retried(ingest_server):
    shipper = EnvelopeShipper(ingest_server.url, "wrong-token", flush_interval_seconds=60)
    shipper.capture(record(1))
    assert shipper.flush(5)
    shipper.close()
    assert [post.status for post in ingest_server.posts] == [401]
    assert shipper.stats()["failed_batches"] == 1


def test_refused_connections_are_retried_then_the_batch_is_given_up(make_shipper):
    shipper = make_shipper(closed_port_url(), max_retries=3, flush_interval_seconds=60)
    for number in range(5):
        shipper.capture(record(number))
    assert shipper.flush(5)
    stats = shipper.stats()
    assert (stats["retries"], stats["failed_batches"], stats["dropped"]) == (3, 1, 5)
    assert_balanced(stats)


def test_records_the_server_rejects_one_by_one_are_counted(ingest_server, shipper):
    shipper.capture(record(1))
    shipper.capture({"status": "200", "body": None, "url": "/x"})  # status must be an int
    assert shipper.flush(5)
    stats = shipper.stats()
    assert (stats["sent"], stats["rejected"], stats["dropped"]) == (1, 1, 0)


# --- flush, close, exit ------------------------------------------------------------------


def test_close_drains_the_queue_and_later_captures_are_counted_drops(ingest_server, shipper):
    for number in range(50):
        shipper.capture(record(number))
    assert shipper.close(timeout=5)
    assert numbers(ingest_server.stored) == list(range(50))
    shipper.capture(record(99))
    assert shipper.close() is True  # again: harmless
    stats = shipper.stats()
    assert (stats["sent"], stats["dropped"], stats["queued"]) == (50, 1, 0)


def test_close_gives_up_after_its_timeout_when_the_server_hangs(ingest_server, make_shipper):
    shipper = make_shipper(flush_interval_seconds=60, timeout_seconds=2)
    ingest_server.gate.clear()
    shipper.capture(record(1))
    started = time.monotonic()
    assert shipper.close(timeout=0.3) is False
    assert time.monotonic() - started < 1


def test_the_queue_is_drained_at_interpreter_exit(ingest_server):
    script = (
        "from ingest.client import EnvelopeShipper\n"
        f"shipper = EnvelopeShipper({ingest_server.url!r}, {INGEST_TOKEN!r},"
        " flush_interval_seconds=60)\n"
        "for n in range(7):\n"
        "    shipper.capture({'status': 200, 'body': None, 'url': f'/12/accounts/a{n}'})\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, check=True, timeout=20)
    assert numbers(ingest_server.stored) == list(range(7))


def test_a_forked_child_ships_its_own_records(ingest_server, shipper):
    import multiprocessing

    shipper.capture(record(1))  # the parent's: sent by the parent only
    child = multiprocessing.get_context("fork").Process(target=_capture_in_child, args=(shipper,))
    child.start()
    child.join(10)
    assert child.exitcode == 0
    assert shipper.flush(5)
    assert sorted(numbers(ingest_server.stored)) == [1, 2]


def _capture_in_child(shipper: EnvelopeShipper) -> None:
    shipper.capture(record(2))
    sys.exit(0 if shipper.flush(5) and shipper.stats()["sent"] == 1 else 1)


# --- never raises -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint",
    ["not a url", "", "ftp://example.com", "file:///etc", "http://[::1", "http://host:port"],
)
def test_capture_never_raises_with_a_garbage_endpoint(make_shipper, endpoint):
    shipper = make_shipper(endpoint, flush_interval_seconds=60)
    for number in range(3):
        shipper.capture(record(number))
    assert shipper.flush(5)
    stats = shipper.stats()
    assert (stats["failed_batches"], stats["dropped"], stats["retries"]) == (1, 3, 0)
    assert_balanced(stats)


def test_unencodable_records_and_bad_settings_do_not_raise(ingest_server):
    shipper = EnvelopeShipper(
        ingest_server.url, INGEST_TOKEN, batch_max_records="many", flush_interval_seconds=-1
    )
    shipper.capture({"status": 200, "body": object(), "url": "/x"})
    shipper.capture(None)
    shipper.capture(record(1))
    assert shipper.flush(5)
    shipper.close()
    stats = shipper.stats()
    assert (stats["sent"], stats["dropped"]) == (1, 2)


def test_an_oversized_record_is_dropped_before_sending(ingest_server, shipper):
    shipper.capture(record(1, body="x" * 1_100_000))
    shipper.capture(record(2))
    assert shipper.flush(5)
    assert numbers(ingest_server.stored) == [2]
    assert shipper.stats()["dropped"] == 1


# --- redaction ----------------------------------------------------------------------------


def test_secrets_never_reach_the_server(ingest_server, shipper):
    shipper.capture(
        make_record(
            "get",
            "https://user:pw-secret@ads-api.x.com/12/accounts?oauth_token=tok-secret&count=5",
            200,
            {
                "Authorization": "OAuth sig-secret",
                "Set-Cookie": "s=cookie-secret",
                "Cookie": "c=cookie2-secret",
                "Proxy-Authorization": "Basic proxy-secret",
                "x-transaction-id": "tx-1",
            },
            b'{"data": []}',
            "application/json",
            0.1,
        )
    )
    assert shipper.flush(5)
    sent = ingest_server.posts[0].body
    assert b"secret" not in sent
    [stored] = ingest_server.stored
    assert stored["url"].endswith("?oauth_token=[redacted]&count=5")
    assert stored["headers"]["x-transaction-id"] == "tx-1"


def test_hand_made_records_are_redacted_too(ingest_server, shipper):
    shipper.capture(
        {
            "status": 200,
            "url": "/12/accounts?OAuth_Token=tok-secret",
            "headers": {"Set-Cookie": "s=cookie-secret"},
            "body": {"request": {"params": {"oauth_nonce": "nonce-secret"}}},
        }
    )
    assert shipper.flush(5)
    assert b"secret" not in ingest_server.posts[0].body
    assert len(ingest_server.stored) == 1
