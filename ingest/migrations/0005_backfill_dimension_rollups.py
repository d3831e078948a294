# The rollups' unique keys exist only once 0004 has run: the backfill needs them.
from django.db import migrations

# A frozen copy: later changes to ingest.store must not change what this migration does.
DIMENSION_ROLLUP_SQL = """
INSERT INTO {table} AS r (bucket, dimension, value, requests, failed_requests, errors)
SELECT bucket, dimension, value, sum(requests), sum(failed_requests), sum(errors) FROM (
  SELECT date_trunc('{unit}', occurred_at, 'UTC') AS bucket, '' AS dimension, NULL AS value,
         count(*) AS requests, count(*) FILTER (WHERE failed) AS failed_requests,
         sum(error_count) AS errors
  FROM ingest_envelope WHERE id = ANY(%(ids)s) GROUP BY 1
  UNION ALL
  SELECT date_trunc('{unit}', occurred_at, 'UTC'), d.dimension, d.value, count(*),
         count(*) FILTER (WHERE failed), sum(error_count)
  FROM ingest_envelope CROSS JOIN LATERAL (VALUES ('account', account_id),
       ('http_status', status::text), ('endpoint', endpoint)) AS d (dimension, value)
  WHERE id = ANY(%(ids)s) GROUP BY 1, 2, 3
  UNION ALL
  SELECT date_trunc('{unit}', occurred_at, 'UTC'), d.dimension, d.value,
         count(DISTINCT envelope_id), count(DISTINCT envelope_id), count(*)
  FROM ingest_error CROSS JOIN LATERAL (VALUES ('code', code), ('parameter', parameter))
       AS d (dimension, value)
  WHERE envelope_id = ANY(%(ids)s) GROUP BY 1, 2, 3
) AS counts
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (bucket, dimension, value) DO UPDATE SET
  requests = r.requests + EXCLUDED.requests,
  failed_requests = r.failed_requests + EXCLUDED.failed_requests,
  errors = r.errors + EXCLUDED.errors
"""


def _backfill(table: str, unit: str) -> migrations.RunSQL:
    """Count the envelopes stored before this migration into the new rollup."""
    sql = DIMENSION_ROLLUP_SQL.format(table=table, unit=unit)
    sql = sql.replace("envelope_id = ANY(%(ids)s)", "TRUE").replace("id = ANY(%(ids)s)", "TRUE")
    return migrations.RunSQL(sql, reverse_sql=migrations.RunSQL.noop)


class Migration(migrations.Migration):
    dependencies = [("ingest", "0004_dimension_rollups")]

    operations = [
        _backfill("ingest_hourlydimensionrollup", "hour"),
        _backfill("ingest_dailydimensionrollup", "day"),
    ]
