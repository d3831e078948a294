"""Handing an accepted batch to the workers.

The raw batch is stored in Redis under its id and only the id travels in the Celery message
(as Sentry does with event payloads): messages stay small and a worker that dies mid-batch
finds the payload again when the message is redelivered. The payload is deleted only after
the batch is committed to PostgreSQL.
"""

import functools

import redis
from django.conf import settings

PAYLOAD_KEY = "xads:batch:{batch_id}"
FOLD_TURN_KEY = "xads:fold-turn"
REDIS_TIMEOUT_SECONDS = 3


class QueueUnavailable(Exception):
    """The broker cannot take the batch; the client must retry."""


@functools.cache
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )


def payload_key(batch_id: str) -> str:
    return PAYLOAD_KEY.format(batch_id=batch_id)


def enqueue_batch(batch_id: str, raw: bytes, received_at: str, rejected: list[int]) -> None:
    """Store the payload and queue its processing, or raise QueueUnavailable."""
    from ingest.tasks import process_batch

    try:
        redis_client().set(payload_key(batch_id), raw)
        process_batch.apply_async(
            args=[batch_id, received_at, rejected],
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2},
        )
    except Exception as exc:  # any broker failure means the data is not safe yet
        raise QueueUnavailable(str(exc)) from exc


def load_payload(batch_id: str) -> bytes | None:
    return redis_client().get(payload_key(batch_id))


def drop_payload(batch_id: str) -> None:
    redis_client().delete(payload_key(batch_id))


def claim_fold_turn(interval_s: float) -> bool:
    """Whether the caller may fold the queued rollups now: true for one caller per interval,
    across all workers."""
    return bool(redis_client().set(FOLD_TURN_KEY, 1, nx=True, px=max(1, int(interval_s * 1000))))
