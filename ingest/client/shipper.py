"""EnvelopeShipper: buffer ingest records in memory and send them in batches from a thread.

The caller's side (``capture``) only appends to a bounded deque under a lock; encoding,
HTTP and retries happen on a daemon thread. Nothing here raises into the caller's code.
"""

import atexit
import http.client
import itertools
import logging
import math
import os
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Callable

from ingest.client.backoff import backoff_delay, is_retryable, retry_after_seconds
from ingest.client.batching import (
    BATCH_SOFT_MAX_BYTES,
    encode_record,
    join_batch,
    rejected_count,
    warn_refused,
)
from ingest.client.records import CapturedResponse
from ingest.client.transport import ingest_url, post_batch

logger = logging.getLogger("xads.capture")

EXIT_TIMEOUT_SECONDS = 2.0  # the most a process exit waits for unsent records
RETRY_AFTER_MAX_SECONDS = 120.0
YIELD_EVERY_RECORDS = 32
STAT_NAMES = ("captured", "sent", "rejected", "dropped", "failed_batches", "retries", "hook_errors")


class EnvelopeShipper:
    """Send captured records to ``POST {endpoint_url}/api/v1/ingest`` in the background.

    A batch goes out when ``batch_max_records`` are queued or every
    ``flush_interval_seconds``. When ``queue_max_records`` are waiting, the oldest is
    dropped. 429, 5xx and network errors are retried with exponential backoff and full
    jitter (honouring Retry-After); other refusals drop the batch with a warning. Every
    record gets an ``id`` (unless it has one), so a retried batch is stored once, and
    hand-made dict records are redacted like captured responses before they are encoded.

    ``stats()`` counts: captured, sent (accepted by the server), rejected (refused one by
    one in a 202), dropped (lost for any other reason: queue full, shipper closed, batch
    given up, unencodable), failed_batches, retries, hook_errors, and queued (waiting or in
    flight). captured = sent + rejected + dropped + queued.
    """

    def __init__(
        self,
        endpoint_url: str,
        token: str,
        *,
        batch_max_records: int = 500,
        flush_interval_seconds: float = 2.0,
        queue_max_records: int = 10_000,
        timeout_seconds: float = 5.0,
        max_retries: int = 5,
        backoff_base_seconds: float = 0.5,
        backoff_max_seconds: float = 30.0,
    ) -> None:
        self._url = ingest_url(endpoint_url)
        self._token = str(token)
        self._batch_max = int(_setting("batch_max_records", batch_max_records, 500, 1))
        self._flush_interval = _setting("flush_interval_seconds", flush_interval_seconds, 2.0)
        queue_max = int(_setting("queue_max_records", queue_max_records, 10_000, 1))
        self._timeout = _setting("timeout_seconds", timeout_seconds, 5.0)
        self._max_retries = int(_setting("max_retries", max_retries, 5, 0))
        self._backoff_base = _setting("backoff_base_seconds", backoff_base_seconds, 0.5)
        self._backoff_max = _setting("backoff_max_seconds", backoff_max_seconds, 30.0)
        self._wake_at = min(self._batch_max, queue_max)
        self._queue: deque = deque(maxlen=queue_max)
        self._stats = dict.fromkeys(STAT_NAMES, 0)
        self._closed = False
        self._start_thread()
        atexit.register(self.close, EXIT_TIMEOUT_SECONDS)
        os.register_at_fork(after_in_child=_restart_in_child(weakref.ref(self)))

    # --- the caller's side -------------------------------------------------------------

    def capture(self, record: dict | CapturedResponse) -> None:
        """Queue one ingest record (a dict, or a CapturedResponse that the sender thread
        turns into one); O(1), never blocks on I/O, never raises."""
        try:
            with self._lock:
                self._stats["captured"] += 1
                if self._closed:
                    self._stats["dropped"] += 1
                    return
                if len(self._queue) == self._queue.maxlen:
                    self._stats["dropped"] += 1
                    self._overflowed += 1
                self._queue.append(record)
                batch_ready = len(self._queue) >= self._wake_at
            if batch_ready and not self._wake.is_set():
                self._wake.set()
        except Exception:
            logger.debug("capture failed", exc_info=True)

    def count_hook_error(self) -> None:
        """Count a failure inside a capture hook (the hooks log it)."""
        try:
            with self._lock:
                self._stats["hook_errors"] += 1
        except Exception:
            logger.debug("counting a hook error failed", exc_info=True)

    def stats(self) -> dict[str, int]:
        """A snapshot of the counters (see the class docstring)."""
        try:
            with self._lock:
                return {**self._stats, "queued": len(self._queue) + self._in_flight}
        except Exception:
            logger.debug("stats failed", exc_info=True)
            return {}

    def flush(self, timeout: float = 5.0) -> bool:
        """Send everything queued now; True when it was all handled within ``timeout``."""
        try:
            self._flush_requests += 1
            self._wake.set()
            with self._idle:
                return self._idle.wait_for(self._drained, timeout)
        except Exception:
            logger.debug("flush failed", exc_info=True)
            return False

    def close(self, timeout: float = 5.0) -> bool:
        """Stop capturing, send what is queued, stop the thread; True when all was handled.

        After ``timeout`` the thread is told to give up: what is left counts as dropped.
        Registered with atexit; calling it again is harmless.
        """
        try:
            with self._lock:
                self._closed = True
            atexit.unregister(self.close)
            self._wake.set()
            if self._thread is not threading.current_thread():
                self._thread.join(timeout)
            if self._thread.is_alive():
                self._abort.set()
                logger.warning("capture: close timed out; unsent records are dropped")
                return False
            return True
        except Exception:
            logger.debug("close failed", exc_info=True)
            return False

    def __enter__(self) -> "EnvelopeShipper":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the sending thread ------------------------------------------------------------

    def _start_thread(self) -> None:
        """Fresh synchronisation objects and a daemon sender thread."""
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._abort = threading.Event()
        self._in_flight = 0
        self._overflowed = 0
        self._flush_requests = 0
        # Idempotency ids: unique per shipper and process, cheaper than a uuid per record.
        self._id_prefix = f"{uuid.uuid4().hex}-"
        self._id_counter = itertools.count()
        self._thread = threading.Thread(target=self._run, name="xads-capture", daemon=True)
        try:
            self._thread.start()
        except RuntimeError:
            logger.warning("capture: cannot start the sender thread; capturing is off")
            self._closed = True

    def _restart_after_fork(self) -> None:
        """In a forked child: forget the parent's records and counts, start a new thread."""
        self._queue.clear()
        self._stats = dict.fromkeys(STAT_NAMES, 0)
        if not self._closed:
            self._start_thread()

    def _drained(self) -> bool:
        return not self._queue and not self._in_flight

    def _run(self) -> None:
        """Send full batches when woken; everything at each interval, flush and close."""
        flushes_seen = 0
        while not self._closed and not self._abort.is_set():
            woken = self._wake.wait(self._flush_interval)
            self._wake.clear()
            previous, flushes_seen = flushes_seen, self._flush_requests
            self._send_queued(everything=not woken or flushes_seen != previous)
        if not self._abort.is_set():
            self._send_queued(everything=True)
        self._discard_queued()

    def _send_queued(self, everything: bool) -> None:
        """Send batches until the queue is empty (or, unless ``everything``, until less
        than a full batch is left); then wake whoever waits in flush()."""
        try:
            while not self._abort.is_set():
                if not everything and len(self._queue) < self._wake_at:
                    break
                batch = self._next_batch()
                if batch is None:
                    break
                self._deliver(*batch)
        except Exception:
            logger.warning("capture: unexpected error while sending", exc_info=True)
        with self._lock:
            overflowed, self._overflowed = self._overflowed, 0
            self._idle.notify_all()
        if overflowed:
            logger.warning("capture: queue full, dropped the %d oldest records", overflowed)

    def _discard_queued(self) -> None:
        """Count what could not be sent before the thread stopped as dropped."""
        with self._lock:
            left = len(self._queue)
            self._queue.clear()
            self._stats["dropped"] += left
            self._idle.notify_all()
        if left:
            logger.warning("capture: stopped with %d unsent records; dropped", left)

    def _next_batch(self) -> tuple[bytes, int] | None:
        """Take up to batch_max_records (within the size limit) and encode them as a batch."""
        parts: list[bytes] = []
        size = 2
        while len(parts) < self._batch_max and size <= BATCH_SOFT_MAX_BYTES:
            with self._lock:
                if not self._queue:
                    break
                record = self._queue.popleft()
                self._in_flight += 1
            encoded = encode_record(record, f"{self._id_prefix}{next(self._id_counter):x}")
            if len(parts) % YIELD_EVERY_RECORDS == 0:
                time.sleep(0)  # let the caller's threads have the interpreter
            if encoded is None:
                self._settle(1, dropped=1)
                continue
            parts.append(encoded)
            size += len(encoded) + 1
        if not parts:
            return None
        return join_batch(parts), len(parts)

    def _deliver(self, body: bytes, count: int) -> None:
        """Send one batch with retries and account for its records."""
        rejected = None
        try:
            rejected = self._post_with_retries(body, count)
        finally:
            if rejected is None:
                self._settle(count, dropped=count, failed_batches=1)
            else:
                self._settle(count, sent=count - rejected, rejected=rejected)

    def _settle(self, in_flight: int, **counts: int) -> None:
        """Records leave flight; add to the counters."""
        with self._lock:
            self._in_flight -= in_flight
            for name, value in counts.items():
                self._stats[name] += value

    def _post_with_retries(self, body: bytes, count: int) -> int | None:
        """POST until accepted or hopeless: the number the server rejected, or None."""
        for attempt in itertools.count():
            try:
                reply = post_batch(self._url, self._token, body, self._timeout)
            except Exception as error:
                if not _is_network_error(error):  # e.g. a malformed URL: retrying cannot help
                    logger.warning("capture: cannot send to %s (%r); dropped", self._url, error)
                    return None
                problem, wait = f"network error: {error!r}", None
            else:
                if 200 <= reply.status < 300:
                    return rejected_count(reply.body, count)
                if not is_retryable(reply.status):
                    warn_refused(reply.status, reply.body, count)
                    return None
                problem, wait = f"HTTP {reply.status}", retry_after_seconds(reply.retry_after)
            if attempt >= self._max_retries:
                logger.warning("capture: gave up on %d records after %s", count, problem)
                return None
            if self._pause_before_retry(attempt, wait, problem):
                return None

    def _pause_before_retry(self, attempt: int, retry_after: float | None, problem: str) -> bool:
        """Count a retry and wait before it; True when the shipper is aborting meanwhile."""
        if retry_after is None:
            delay = backoff_delay(attempt, self._backoff_base, self._backoff_max)
        else:
            delay = min(retry_after, RETRY_AFTER_MAX_SECONDS)
        logger.debug("capture: %s; retry %d in %.2fs", problem, attempt + 1, delay)
        with self._lock:
            self._stats["retries"] += 1
        return self._abort.wait(delay)


def _setting(name: str, value: object, default: float, minimum: float = 0.0) -> float:
    """A finite number >= minimum, or the default (with a warning) for anything else."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if math.isfinite(number) and number >= minimum:
        return number
    logger.warning("capture: %s=%r is not valid; using %r", name, value, default)
    return default


def _restart_in_child(shipper_ref: weakref.ref) -> Callable[[], None]:
    """An after-fork hook that restarts the shipper's thread if the shipper still exists."""

    def restart() -> None:
        shipper = shipper_ref()
        if shipper is not None:
            shipper._restart_after_fork()

    return restart


def _is_network_error(error: Exception) -> bool:
    """Connection, timeout and protocol errors, which may heal; not a malformed URL."""
    network = isinstance(error, OSError | http.client.HTTPException)
    return network and not isinstance(error, http.client.InvalidURL)
