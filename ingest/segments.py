"""Splitting a time range into pieces that each come from the cheapest exact source.

Counts are additive over disjoint time ranges, so a range [since, until) can be answered as
raw rows for the ragged edges (less than an hour each), hourly rollups up to day boundaries,
and daily rollups in between. Pure: no Django.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from ingest.rollups import day_start, hour_start

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

RAW, HOURLY, DAILY = "raw", "hourly", "daily"


@dataclass(frozen=True, slots=True)
class Segment:
    source: str
    start: datetime
    end: datetime


def _ceil(moment: datetime, floor, step: timedelta) -> datetime:
    floored = floor(moment)
    return floored if floored == moment else floored + step


def plan_segments(since: datetime, until: datetime, finest: str = DAILY) -> list[Segment]:
    """Disjoint segments covering [since, until). `finest=HOURLY` never uses daily rollups
    (for hourly time series)."""
    if since >= until:
        return []
    first_hour, last_hour = _ceil(since, hour_start, HOUR), hour_start(until)
    if first_hour >= last_hour:
        return [Segment(RAW, since, until)]
    segments = [Segment(RAW, since, first_hour)] if since < first_hour else []
    segments += _rollup_segments(first_hour, last_hour, finest)
    if last_hour < until:
        segments.append(Segment(RAW, last_hour, until))
    return segments


def _rollup_segments(start: datetime, end: datetime, finest: str) -> list[Segment]:
    first_day, last_day = _ceil(start, day_start, DAY), day_start(end)
    if finest != DAILY or first_day >= last_day:
        return [Segment(HOURLY, start, end)]
    pieces = [
        Segment(HOURLY, start, first_day),
        Segment(DAILY, first_day, last_day),
        Segment(HOURLY, last_day, end),
    ]
    return [piece for piece in pieces if piece.start < piece.end]
