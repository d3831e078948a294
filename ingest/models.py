"""Storage of envelopes, their errors, the hourly and daily rollups, and API tokens.

Envelopes and errors are written in bulk by `ingest.store` (COPY), never with save() per row.
The rollups hold additive counts so that aggregates over weeks read thousands of rows,
not millions; `ingest.queries` explains how they stay exact.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models


class JsonTextField(models.Field):
    """PostgreSQL `json` (not jsonb): keeps the document exactly as sent, key order included."""

    description = "JSON text kept exactly as sent"

    def db_type(self, connection):
        return "json"


class ApiToken(models.Model):
    """A bearer token for the ingest and read APIs; only its SHA-256 digest is stored."""

    SCOPES = ("ingest", "read")

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="First characters, to recognise a token.")
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = ArrayField(models.CharField(max_length=20))
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Envelope(models.Model):
    """One API response the integration saw, success or failure."""

    client_id = models.TextField(null=True, help_text="The record's own id, if it had one.")
    account_id = models.TextField(null=True)
    method = models.CharField(max_length=16)
    url = models.TextField()
    endpoint = models.TextField()
    status = models.SmallIntegerField()
    failed = models.BooleanField()
    error_count = models.IntegerField()
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    duration_ms = models.FloatField(null=True)
    transaction_id = models.TextField(null=True)
    request_params = JsonTextField()
    headers = JsonTextField()
    body = JsonTextField()
    errors = JsonTextField()

    class Meta:
        # "The first copy wins": a client id is stored once. Only envelopes that have one are
        # in this index; the others are kept unique by their batch (StoredBatch).
        constraints = [
            models.UniqueConstraint(
                fields=["client_id"],
                condition=models.Q(client_id__isnull=False),
                name="envelope_client_id",
            )
        ]
        indexes = [
            models.Index(fields=["-occurred_at", "-id"], name="envelope_time_idx"),
            models.Index(
                fields=["-occurred_at", "-id"],
                name="envelope_failed_time_idx",
                condition=models.Q(failed=True),
            ),
            models.Index(fields=["account_id", "-occurred_at"], name="envelope_account_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.url} -> {self.status}"


class StoredBatch(models.Model):
    """An ingest batch whose envelopes are stored, recorded in the same transaction: a
    redelivered batch finds its id here and stores nothing. One row per batch, not per
    envelope, so this costs far less than a unique key on every envelope."""

    batch_id = models.TextField(primary_key=True)
    stored_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["stored_at"], name="storedbatch_stored_at_idx")]

    def __str__(self) -> str:
        return self.batch_id


class Error(models.Model):
    """One error of an envelope; request columns are copied here so reads need no join."""

    envelope = models.ForeignKey(Envelope, on_delete=models.CASCADE, related_name="+")
    position = models.SmallIntegerField()
    item_index = models.IntegerField(null=True, help_text="Item of a batch request, if any.")
    code = models.TextField()
    parameter = models.TextField(null=True)
    account_id = models.TextField(null=True)
    endpoint = models.TextField()
    status = models.SmallIntegerField()
    occurred_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["code", "-occurred_at"], name="error_code_time_idx"),
            models.Index(fields=["parameter", "-occurred_at"], name="error_parameter_time_idx"),
            models.Index(fields=["-occurred_at"], name="error_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.parameter or 'no parameter'})"


class RequestRollup(models.Model):
    """Requests, failed requests and errors per time bucket and request dimensions."""

    bucket = models.DateTimeField()
    account_id = models.TextField(null=True)
    endpoint = models.TextField()
    status = models.SmallIntegerField()
    requests = models.BigIntegerField()
    failed_requests = models.BigIntegerField()
    errors = models.BigIntegerField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d %H:00} {self.account_id} {self.endpoint} {self.status}"


class ErrorRollup(models.Model):
    """Errors per bucket, request dimensions, code and parameter.

    `pair_requests` counts the requests with at least one error of this (code, parameter).
    `code_requests` counts each request once per code: on the row of the first error with that
    code; `parameter_requests` likewise per parameter; `first_error_requests` once, on the row
    of its first error. Sums of these columns are therefore exact distinct-request counts when
    a query groups or filters by one code or parameter, or counts failed requests alone.
    """

    bucket = models.DateTimeField()
    account_id = models.TextField(null=True)
    endpoint = models.TextField()
    status = models.SmallIntegerField()
    code = models.TextField()
    parameter = models.TextField(null=True)
    errors = models.BigIntegerField()
    pair_requests = models.BigIntegerField()
    code_requests = models.BigIntegerField()
    parameter_requests = models.BigIntegerField()
    first_error_requests = models.BigIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d %H:00} {self.code} {self.parameter}"


class DimensionRollup(models.Model):
    """Counts per bucket for one dimension at a time (and totals, dimension ''): what an
    unfiltered overview needs, in a few hundred rows a day instead of hundreds of thousands.

    For account, HTTP status and endpoint: the requests with that value, the failed ones and
    their errors. For code and parameter: the requests with such an error (as requests and
    failed_requests) and the errors themselves."""

    bucket = models.DateTimeField()
    dimension = models.CharField(max_length=20, blank=True)
    value = models.TextField(null=True)
    requests = models.BigIntegerField()
    failed_requests = models.BigIntegerField()
    errors = models.BigIntegerField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d %H:00} {self.dimension}={self.value}"


class PendingRollup(models.Model):
    """The hourly rollup rows of one stored batch, encoded, until `ingest.fold` adds them to
    the rollup tables (in the transaction that deletes this row)."""

    counts = models.BinaryField()
    hours = ArrayField(
        models.DateTimeField(),
        null=True,
        help_text="The hours these rows touch: readers count them from raw rows until folded.",
    )

    def __str__(self) -> str:
        return f"pending rollup {self.pk}"


def rollup_key(fields: list[str], name: str) -> models.UniqueConstraint:
    """A rollup row per key; an absent account or parameter (NULL) is a key value too."""
    return models.UniqueConstraint(fields=fields, name=name, nulls_distinct=False)


REQUEST_KEY = ["bucket", "account_id", "endpoint", "status"]
ERROR_KEY = [*REQUEST_KEY, "code", "parameter"]


class HourlyRequestRollup(RequestRollup):
    class Meta:
        constraints = [rollup_key(REQUEST_KEY, "hourly_request_rollup_key")]
        indexes = [models.Index(fields=["account_id", "bucket"], name="hourly_req_account_idx")]


class DailyRequestRollup(RequestRollup):
    class Meta:
        constraints = [rollup_key(REQUEST_KEY, "daily_request_rollup_key")]


class HourlyErrorRollup(ErrorRollup):
    class Meta:
        constraints = [rollup_key(ERROR_KEY, "hourly_error_rollup_key")]
        indexes = [models.Index(fields=["code", "bucket"], name="hourly_err_code_idx")]


class DailyErrorRollup(ErrorRollup):
    class Meta:
        constraints = [rollup_key(ERROR_KEY, "daily_error_rollup_key")]


DIMENSION_KEY = ["bucket", "dimension", "value"]


class HourlyDimensionRollup(DimensionRollup):
    class Meta:
        constraints = [rollup_key(DIMENSION_KEY, "hourly_dimension_rollup_key")]


class DailyDimensionRollup(DimensionRollup):
    class Meta:
        constraints = [rollup_key(DIMENSION_KEY, "daily_dimension_rollup_key")]
