"""The rule maths on constructed series: thresholds, spikes over a median baseline, the
minimum count, consecutive breaches and hysteresis."""

from dashboard.alerts.maths import (
    FAILURE_RATE,
    FIRING,
    OK,
    SPIKE,
    THRESHOLD,
    Condition,
    State,
    WindowCounts,
    median_baseline,
    metric_value,
    step,
)


def run(condition, values, baselines=None, fire_after=1):
    """Events over a series of evaluations."""
    state, events = State(), []
    for index, value in enumerate(values):
        baseline = baselines[index] if baselines else None
        transition = step(state, condition, value, baseline, fire_after)
        state = transition.state
        events.append(transition.event)
    return events, state


def test_threshold_fires_at_the_value_and_resolves_below_it():
    events, state = run(Condition(THRESHOLD, 10), [3, 10, 12, 9])

    assert events == [None, "fire", None, "resolve"]
    assert state.status == OK


def test_spike_compares_with_k_times_the_median_of_previous_windows():
    previous = [4, 5, 6, 5, 100]  # one outlier does not move the median
    baseline = median_baseline(previous)
    spike = Condition(SPIKE, 3, min_count=5)

    assert baseline == 5
    assert spike.breached(15, baseline)
    assert not spike.breached(14, baseline)


def test_below_the_minimum_count_a_spike_over_zero_is_not_a_spike():
    spike = Condition(SPIKE, 2, min_count=5)

    assert not spike.breached(1, 0.0)
    assert not spike.breached(4, 0.0)
    assert spike.breached(5, 0.0)


def test_fire_only_after_consecutive_breaches():
    events, _ = run(Condition(THRESHOLD, 10), [11, 5, 11, 11, 11], fire_after=3)

    assert events == [None, None, None, None, "fire"]


def test_hysteresis_keeps_a_hovering_metric_from_flapping():
    condition = Condition(THRESHOLD, 10, resolve_below=5)

    events, state = run(condition, [10, 9, 11, 9, 6, 4])

    assert events == ["fire", None, None, None, None, "resolve"]
    assert state.status == OK


def test_without_hysteresis_the_same_series_flaps():
    events, _ = run(Condition(THRESHOLD, 10), [10, 9, 11, 9])

    assert events == ["fire", "resolve", "fire", "resolve"]


def test_a_firing_rule_notifies_once_while_it_keeps_breaching():
    events, state = run(Condition(THRESHOLD, 1), [5, 6, 7, 8])

    assert events.count("fire") == 1
    assert state.status == FIRING


def test_failure_rate_is_a_percentage_of_requests():
    assert metric_value(FAILURE_RATE, WindowCounts(failed_requests=5, requests=20)) == 25.0
    assert metric_value(FAILURE_RATE, WindowCounts()) == 0.0
