"""Time buckets of the rollups. The rollups themselves are counted by PostgreSQL when a
batch is stored (`ingest.store.upsert_rollups`)."""

from datetime import datetime


def hour_start(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)
