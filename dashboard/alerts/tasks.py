"""Celery tasks for alerts: the evaluation beat calls every minute, and deliveries."""

from celery import shared_task

from dashboard.alerts.delivery import attempt_delivery
from dashboard.alerts.evaluate import evaluate_all

DELIVERY_MAX_RETRIES = 8
DELIVERY_BACKOFF_SECONDS = 2


@shared_task(ignore_result=True)
def evaluate_alert_rules() -> int:
    return evaluate_all()


@shared_task(bind=True, max_retries=DELIVERY_MAX_RETRIES, acks_late=True)
def deliver(self, delivery_id: int) -> str:
    """Send one notification; retried with exponential backoff, logged per attempt."""
    outcome = attempt_delivery(delivery_id, final=self.request.retries >= self.max_retries)
    if outcome == "retry":
        raise self.retry(countdown=DELIVERY_BACKOFF_SECONDS * 2**self.request.retries)
    return outcome
