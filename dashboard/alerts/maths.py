"""The rule maths, pure: metric values, baselines, breach tests and state transitions.

No Django here: `evaluate.py` feeds these functions counts read from the aggregates, so the
behaviour can be tested on constructed series."""

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

ERRORS, FAILED_REQUESTS, FAILURE_RATE = "errors", "failed_requests", "failure_rate"
THRESHOLD, SPIKE = "threshold", "spike"
OK, FIRING = "ok", "firing"


@dataclass(frozen=True)
class WindowCounts:
    """Counts over one window: the scoped counts, and the requests in the request scope
    (the denominator of a failure rate when the scope names a code or parameter)."""

    errors: int = 0
    failed_requests: int = 0
    requests: int = 0


def metric_value(metric: str, counts: WindowCounts) -> float:
    if metric == ERRORS:
        return float(counts.errors)
    if metric == FAILED_REQUESTS:
        return float(counts.failed_requests)
    if metric == FAILURE_RATE:
        return 100.0 * counts.failed_requests / counts.requests if counts.requests else 0.0
    raise ValueError(f"unknown metric {metric!r}")


def median_baseline(previous: Sequence[float]) -> float:
    """The median of the previous windows (0 when there are none)."""
    return float(median(previous)) if previous else 0.0


@dataclass(frozen=True)
class Condition:
    kind: str  # THRESHOLD or SPIKE
    value: float  # the threshold, or the spike factor K
    min_count: float = 0.0  # below this the rule never breaches
    resolve_below: float | None = None  # hysteresis: stays firing until below this

    def breached(self, value: float, baseline: float | None) -> bool:
        if value < self.min_count:
            return False
        if self.kind == THRESHOLD:
            return value >= self.value
        if baseline is None:
            return False
        return value >= self.value * baseline and value > baseline

    def recovered(self, value: float, baseline: float | None) -> bool:
        """Whether a firing rule resolves at this value."""
        if self.resolve_below is not None:
            return value < self.resolve_below
        return not self.breached(value, baseline)


@dataclass(frozen=True)
class State:
    status: str = OK
    breaches: int = 0  # consecutive breaching evaluations


@dataclass(frozen=True)
class Transition:
    state: State
    event: str | None  # "fire", "resolve" or None


def step(
    state: State, condition: Condition, value: float, baseline: float | None, fire_after: int = 1
) -> Transition:
    """The next state after one evaluation, and the event to notify (if any)."""
    if state.status == FIRING:
        if condition.recovered(value, baseline):
            return Transition(State(OK, 0), "resolve")
        return Transition(State(FIRING, state.breaches + 1), None)
    if not condition.breached(value, baseline):
        return Transition(State(OK, 0), None)
    breaches = state.breaches + 1
    if breaches >= fire_after:
        return Transition(State(FIRING, breaches), "fire")
    return Transition(State(OK, breaches), None)
