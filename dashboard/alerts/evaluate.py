"""Evaluating rules: read, step the state machine, record firings and queue notifications.

Idempotent per minute: a rule group already evaluated for a minute is skipped, and a
delivery is unique per (firing, channel, event, minute)."""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from dashboard.alerts import maths
from dashboard.alerts.models import Delivery, Firing, Rule, RuleState
from dashboard.alerts.notify import build_payload
from dashboard.alerts.readings import read_rule

logger = logging.getLogger(__name__)


def evaluation_minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def evaluate_all(now: datetime | None = None) -> int:
    """Evaluate every active rule for the minute of `now`; returns deliveries queued."""
    minute = evaluation_minute(now or timezone.now())
    queued = 0
    for rule in Rule.objects.filter(paused=False).prefetch_related("channels"):
        try:
            queued += evaluate_rule(rule, minute)
        except Exception:  # one broken rule must not stop the others
            logger.exception("evaluating rule %s failed", rule.pk)
    return queued


def evaluate_rule(rule: Rule, minute: datetime) -> int:
    states = {state.group_key: state for state in rule.states.all()}
    known = {key for key, state in states.items() if state.status == maths.FIRING or state.breaches}
    readings = read_rule(rule, minute, known)
    deliveries: list[int] = []
    with transaction.atomic():
        for group, reading in readings.items():
            state = states.get(group) or RuleState(rule=rule, group_key=group)
            deliveries += _evaluate_group(rule, state, reading, minute)
    transaction.on_commit(lambda: _queue(deliveries))
    return len(deliveries)


def _evaluate_group(rule: Rule, state: RuleState, reading, minute: datetime) -> list[int]:
    if state.evaluated_minute is not None and state.evaluated_minute >= minute:
        return []
    transition = maths.step(
        maths.State(state.status, state.breaches),
        rule.as_condition,
        reading.value,
        reading.baseline,
        rule.fire_after,
    )
    events = []
    if transition.event == "fire":
        state.firing = Firing.objects.create(
            rule=rule,
            group_key=state.group_key,
            started_at=minute,
            value=reading.value,
            peak_value=reading.value,
            baseline=reading.baseline,
        )
        events.append("fire")
    elif transition.event == "resolve" and state.firing:
        state.firing.ended_at = minute
        events.append("resolve")
    elif transition.state.status == maths.FIRING and state.firing:
        state.firing.peak_value = max(state.firing.peak_value, reading.value)
        if _reminder_due(rule, state, minute):
            events.append("reminder")
    if state.firing and transition.event != "fire":
        state.firing.save()
    firing = state.firing
    if transition.event == "resolve":
        state.firing = None
    state.status, state.breaches = transition.state.status, transition.state.breaches
    state.value, state.baseline, state.evaluated_minute = reading.value, reading.baseline, minute
    if events and not _silenced(rule, minute):
        state.notified_at = minute
    state.save()
    if _silenced(rule, minute):
        return []
    return [d for event in events for d in _deliveries(rule, firing, event, reading, minute)]


def _reminder_due(rule: Rule, state: RuleState, minute: datetime) -> bool:
    if not rule.reminder_minutes or state.notified_at is None:
        return False
    return (minute - state.notified_at).total_seconds() >= rule.reminder_minutes * 60


def _silenced(rule: Rule, minute: datetime) -> bool:
    return rule.silenced_until is not None and minute < rule.silenced_until


def _deliveries(rule, firing, event, reading, minute) -> list[int]:
    payload = build_payload(rule, event, firing.group_key, reading.value, reading.baseline, minute)
    created = []
    for channel in rule.channels.all():
        try:
            with transaction.atomic():
                delivery = Delivery.objects.create(
                    firing=firing, channel=channel, event=event, event_at=minute, payload=payload
                )
        except IntegrityError:  # already queued for this minute
            continue
        created.append(delivery.pk)
    return created


def _queue(delivery_ids: list[int]) -> None:
    from dashboard.alerts.tasks import deliver

    for delivery_id in delivery_ids:
        deliver.delay(delivery_id)
