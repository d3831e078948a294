"""How often a rule would have fired over the last 7 days of stored data.

The rule is replayed on consecutive windows of its own length (at most PREVIEW_MAX_POINTS of
them, so a 1-minute rule covers the last 2016 minutes), with the same maths as evaluation."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dashboard.alerts import maths
from dashboard.alerts.readings import DAY, WEEK, window_counts

PREVIEW_SPAN = timedelta(days=7)
PREVIEW_MAX_POINTS = 2016
WINDOWS_PER_QUERY = 250


@dataclass
class Preview:
    points: int
    span: timedelta
    firings: int = 0
    by_group: dict[str, int] = field(default_factory=dict)


def _counts(rule, windows):
    result = []
    for index in range(0, len(windows), WINDOWS_PER_QUERY):
        result += window_counts(rule, windows[index : index + WINDOWS_PER_QUERY])
    return result


def preview(rule, end: datetime) -> Preview:
    width = timedelta(seconds=rule.window_seconds)
    points = min(int(PREVIEW_SPAN / width), PREVIEW_MAX_POINTS)
    median = rule.condition == maths.SPIKE and rule.baseline == rule.MEDIAN
    lead = rule.baseline_windows if median else 0
    total = points + lead
    windows = [(end - (total - i) * width, end - (total - i - 1) * width) for i in range(total)]
    series = _counts(rule, windows)
    shifted = None
    if rule.condition == maths.SPIKE and not median:
        shift = DAY if rule.baseline == rule.DAY_AGO else WEEK
        shifted = _counts(rule, [(start - shift, stop - shift) for start, stop in windows])
    groups = {group for window in series for group in window} or {""}
    result = Preview(points=points, span=points * width)
    for group in groups:
        fired = _replay(rule, group, series, shifted, lead)
        if fired:
            result.by_group[group] = fired
            result.firings += fired
    return result


def _replay(rule, group, series, shifted, lead) -> int:
    values = [maths.metric_value(rule.metric, w.get(group, maths.WindowCounts())) for w in series]
    state, fired = maths.State(), 0
    for index in range(lead, len(values)):
        baseline = None
        if rule.condition == maths.SPIKE:
            if shifted is not None:
                baseline = maths.metric_value(
                    rule.metric, shifted[index].get(group, maths.WindowCounts())
                )
            else:
                baseline = maths.median_baseline(values[index - lead : index])
        transition = maths.step(state, rule.as_condition, values[index], baseline, rule.fire_after)
        state = transition.state
        fired += transition.event == "fire"
    return fired
