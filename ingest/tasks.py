"""Celery tasks: thin wrappers that fetch their input and call plain functions."""

import logging
from datetime import datetime

import psycopg
from celery import shared_task
from django.db import DatabaseError

from ingest import queue
from ingest.batches import store_batch
from ingest.fold import fold_unless_locked, fold_when_due
from ingest.retention import purge_expired

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    # psycopg's own errors too: the store writes through the raw cursor (COPY).
    autoretry_for=(DatabaseError, psycopg.Error, ConnectionError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=None,
)
def process_batch(batch_id: str, received_at: str, rejected: list[int]) -> int:
    """Store one accepted batch. Safe to run twice: the second run stores nothing."""
    raw = queue.load_payload(batch_id)
    if raw is None:
        logger.info("batch %s already stored", batch_id)
        return 0
    stored = store_batch(batch_id, raw, datetime.fromisoformat(received_at), set(rejected))
    queue.drop_payload(batch_id)
    fold_when_due()
    return stored


@shared_task(autoretry_for=(DatabaseError, psycopg.Error), retry_backoff=True, max_retries=3)
def fold_rollups() -> int:
    return fold_unless_locked()


@shared_task
def purge_expired_envelopes() -> int:
    return purge_expired()
