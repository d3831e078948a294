"""Splitting a time range into pieces that each come from the cheapest exact source.

Counts are additive over disjoint time ranges, so a range [since, until) can be answered as
raw rows for the ragged edges (less than an hour each), hourly rollups up to day boundaries,
and daily rollups in between. Hours that hold stored batches not yet folded into the rollups
are read from raw rows, and their days from hourly rollups. Pure: no Django.
"""

from collections.abc import Iterable, Set
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


def plan_segments(
    since: datetime, until: datetime, finest: str = DAILY, unfolded: Set[datetime] = frozenset()
) -> list[Segment]:
    """Disjoint segments covering [since, until). `finest=HOURLY` never uses daily rollups
    (for hourly time series). `unfolded` holds the starts of hours whose rollups are not
    complete yet: they are read raw."""
    if since >= until:
        return []
    first_hour, last_hour = _ceil(since, hour_start, HOUR), hour_start(until)
    if first_hour >= last_hour:
        return [Segment(RAW, since, until)]
    segments = [Segment(RAW, since, first_hour)] if since < first_hour else []
    segments += _rollup_segments(first_hour, last_hour, finest)
    if last_hour < until:
        segments.append(Segment(RAW, last_hour, until))
    if unfolded:
        segments = _around_unfolded(segments, unfolded)
    return segments


def _around_unfolded(segments: list[Segment], hours: Set[datetime]) -> list[Segment]:
    """Days with an unfolded hour come from hourly rollups, and those hours from raw rows;
    neighbouring segments of one source are joined again."""
    days = {day_start(hour) for hour in hours}
    refined = []
    for segment in segments:
        if segment.source == DAILY:
            refined += _cut(segment, days, DAY, HOURLY)
        else:
            refined.append(segment)
    cut = []
    for segment in refined:
        cut += _cut(segment, hours, HOUR, RAW) if segment.source == HOURLY else [segment]
    return _joined(cut)


def _cut(segment: Segment, starts: Set[datetime], step: timedelta, source: str) -> list[Segment]:
    """`segment` with each of the periods [start, start + step) that it holds given to
    `source`; segments are aligned to `step`, so every period lies wholly inside or outside."""
    inside = sorted(start for start in starts if segment.start <= start < segment.end)
    pieces, position = [], segment.start
    for start in inside:
        if position < start:
            pieces.append(Segment(segment.source, position, start))
        pieces.append(Segment(source, start, start + step))
        position = start + step
    if position < segment.end:
        pieces.append(Segment(segment.source, position, segment.end))
    return pieces


def _joined(segments: Iterable[Segment]) -> list[Segment]:
    joined: list[Segment] = []
    for segment in segments:
        last = joined[-1] if joined else None
        if last is not None and last.source == segment.source and last.end == segment.start:
            joined[-1] = Segment(last.source, last.start, segment.end)
        else:
            joined.append(segment)
    return joined


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
