"""Time ranges split into raw edges, hourly and daily rollups, covering the range exactly."""

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ingest.rollups import day_start
from ingest.segments import DAILY, HOURLY, RAW, Segment, plan_segments


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_a_range_inside_one_hour_is_read_raw():
    assert plan_segments(at(1, 5, 10), at(1, 5, 50)) == [Segment(RAW, at(1, 5, 10), at(1, 5, 50))]


def test_ragged_edges_are_raw_whole_hours_hourly_and_whole_days_daily():
    assert plan_segments(at(1, 22, 30), at(4, 2, 15)) == [
        Segment(RAW, at(1, 22, 30), at(1, 23)),
        Segment(HOURLY, at(1, 23), at(2)),
        Segment(DAILY, at(2), at(4)),
        Segment(HOURLY, at(4), at(4, 2)),
        Segment(RAW, at(4, 2), at(4, 2, 15)),
    ]


def test_hourly_series_never_use_daily_rollups():
    assert plan_segments(at(1), at(3), finest=HOURLY) == [Segment(HOURLY, at(1), at(3))]


@given(
    start=st.integers(0, 10_000),
    length=st.integers(1, 10_000),
    finest=st.sampled_from([HOURLY, DAILY]),
)
def test_segments_tile_the_range_without_gaps_or_overlaps(start, length, finest):
    since = at(1) + timedelta(minutes=start)
    until = since + timedelta(minutes=length)

    segments = plan_segments(since, until, finest)

    assert segments[0].start == since and segments[-1].end == until
    for before, after in itertools.pairwise(segments):
        assert before.end == after.start
    assert all(segment.start < segment.end for segment in segments)
    assert all(
        segment.source == RAW for segment in segments if segment.start.minute or segment.end.minute
    )


def test_unfolded_hours_are_read_raw_and_their_days_hourly():
    assert plan_segments(at(1, 22, 30), at(4, 2, 15), unfolded={at(2, 7), at(4, 1)}) == [
        Segment(RAW, at(1, 22, 30), at(1, 23)),
        Segment(HOURLY, at(1, 23), at(2, 7)),
        Segment(RAW, at(2, 7), at(2, 8)),
        Segment(HOURLY, at(2, 8), at(3)),
        Segment(DAILY, at(3), at(4)),
        Segment(HOURLY, at(4), at(4, 1)),
        Segment(RAW, at(4, 1), at(4, 2, 15)),
    ]


def test_unfolded_hours_outside_the_range_change_nothing():
    assert plan_segments(at(2), at(4), unfolded={at(1, 5), at(4, 0)}) == plan_segments(at(2), at(4))


@given(
    start=st.integers(0, 10_000),
    length=st.integers(1, 10_000),
    finest=st.sampled_from([HOURLY, DAILY]),
    unfolded=st.sets(st.integers(0, 200).map(lambda hours: at(1) + timedelta(hours=hours))),
)
def test_no_rollup_segment_holds_an_unfolded_hour(start, length, finest, unfolded):
    since = at(1) + timedelta(minutes=start)
    until = since + timedelta(minutes=length)

    segments = plan_segments(since, until, finest, unfolded)

    assert segments[0].start == since and segments[-1].end == until
    for before, after in itertools.pairwise(segments):
        assert before.end == after.start
        assert before.source != after.source, "neighbours of one source are joined"
    for segment in segments:
        if segment.source != RAW:
            assert not any(segment.start <= hour < segment.end for hour in unfolded)
        if segment.source == DAILY:
            assert not any(segment.start <= day_start(hour) < segment.end for hour in unfolded)
