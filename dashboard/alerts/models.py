"""Alert rules, notification channels, per-group rule state, firings and delivery attempts."""

import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from dashboard.alerts import maths

WINDOW_MIN_SECONDS, WINDOW_MAX_SECONDS = 60, 24 * 3600


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


class Channel(models.Model):
    EMAIL, WEBHOOK = "email", "webhook"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=[(EMAIL, "Email"), (WEBHOOK, "Webhook")])
    target = models.CharField(
        max_length=2000, help_text="Email addresses (comma-separated) or the webhook URL."
    )
    secret = models.CharField(
        max_length=100, default=_new_secret, help_text="Signs webhook bodies (HMAC-SHA256)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Rule(models.Model):
    METRICS = [
        (maths.ERRORS, "Errors"),
        (maths.FAILED_REQUESTS, "Failed requests"),
        (maths.FAILURE_RATE, "Failure rate (% of requests)"),
    ]
    CONDITIONS = [
        (maths.THRESHOLD, "At or above a threshold"),
        (maths.SPIKE, "Spike over baseline"),
    ]
    MEDIAN, DAY_AGO, WEEK_AGO = "median", "day", "week"
    BASELINES = [
        (MEDIAN, "Median of the previous windows"),
        (DAY_AGO, "Same window one day earlier"),
        (WEEK_AGO, "Same window one week earlier"),
    ]
    GROUP_BY = [
        ("", "Nothing (one alert)"),
        ("account", "Account"),
        ("code", "Code"),
        ("endpoint", "Endpoint"),
    ]

    name = models.CharField(max_length=200)
    # scope: blank means all
    account = models.CharField(max_length=200, blank=True)
    code = models.CharField(max_length=200, blank=True)
    http_status = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(100), MaxValueValidator(599)]
    )
    endpoint = models.CharField(max_length=300, blank=True)
    parameter = models.CharField(max_length=200, blank=True)
    metric = models.CharField(max_length=20, choices=METRICS, default=maths.ERRORS)
    window_seconds = models.PositiveIntegerField(
        default=300,
        validators=[MinValueValidator(WINDOW_MIN_SECONDS), MaxValueValidator(WINDOW_MAX_SECONDS)],
    )
    condition = models.CharField(max_length=10, choices=CONDITIONS, default=maths.THRESHOLD)
    threshold = models.FloatField(default=10, help_text="Threshold value, or the factor K.")
    baseline = models.CharField(max_length=10, choices=BASELINES, default=MEDIAN)
    baseline_windows = models.PositiveSmallIntegerField(
        default=24, validators=[MinValueValidator(1), MaxValueValidator(168)]
    )
    min_count = models.FloatField(default=5, help_text="Below this value it never fires.")
    fire_after = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Consecutive breaching evaluations before it fires.",
    )
    resolve_below = models.FloatField(
        null=True, blank=True, help_text="Resolve only below this value (hysteresis)."
    )
    group_by = models.CharField(max_length=10, choices=GROUP_BY, blank=True, default="")
    reminder_minutes = models.PositiveIntegerField(null=True, blank=True)
    silenced_until = models.DateTimeField(null=True, blank=True)
    paused = models.BooleanField(default=False)
    channels = models.ManyToManyField(Channel, blank=True, related_name="rules")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    @property
    def scope(self) -> dict[str, tuple]:
        """The rule's scope as filter values (blank means all)."""
        values = {
            "account": self.account,
            "code": self.code,
            "endpoint": self.endpoint,
            "parameter": self.parameter,
            "http_status": self.http_status,
        }
        return {name: (value,) for name, value in values.items() if value not in ("", None)}

    @property
    def as_condition(self) -> maths.Condition:
        return maths.Condition(self.condition, self.threshold, self.min_count, self.resolve_below)


class Firing(models.Model):
    """One period during which a rule (or one group of it) was firing."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="firings")
    group_key = models.TextField(blank=True, default="")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    value = models.FloatField()
    peak_value = models.FloatField()
    baseline = models.FloatField(null=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.rule} {self.group_key} from {self.started_at:%Y-%m-%d %H:%M}"


class RuleState(models.Model):
    """Where a rule, or one group of a grouped rule, stands after the last evaluation."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="states")
    group_key = models.TextField(blank=True, default="")
    status = models.CharField(max_length=10, default=maths.OK)
    breaches = models.PositiveIntegerField(default=0)
    evaluated_minute = models.DateTimeField(null=True)
    value = models.FloatField(null=True)
    baseline = models.FloatField(null=True)
    firing = models.ForeignKey(Firing, null=True, blank=True, on_delete=models.SET_NULL)
    notified_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "group_key"], name="rule_state_group")
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.group_key}: {self.status}"


class Delivery(models.Model):
    """One notification of one event to one channel, with its attempts' outcome."""

    FIRE, RESOLVE, REMINDER, TEST = "fire", "resolve", "reminder", "test"
    PENDING, SENT, FAILED = "pending", "sent", "failed"

    firing = models.ForeignKey(
        Firing, null=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=10)
    event_at = models.DateTimeField()
    payload = models.JSONField()
    status = models.CharField(max_length=10, default=PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # evaluating the same minute twice cannot notify twice
            models.UniqueConstraint(
                fields=["firing", "channel", "event", "event_at"], name="delivery_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.channel} ({self.status})"


class Attempt(models.Model):
    """Every delivery attempt, for the rule's history page."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField()
    detail = models.TextField()

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{'ok' if self.ok else 'failed'} at {self.at:%H:%M:%S}"
