"""The dedup key keeps its unique index, renamed, and loses the LIKE index that unique=True
had added (never used, paid on every insert). Nothing is rebuilt: the rename is instant and
the index is dropped CONCURRENTLY, so ingest and reads go on during the migration."""

from django.db import migrations, models

LIKE_INDEX = "ingest_envelope_dedup_key_14e713c8_like"
OLD_CONSTRAINT = "ingest_envelope_dedup_key_key"
NEW_CONSTRAINT = "envelope_dedup_key"


class Migration(migrations.Migration):
    atomic = False  # CREATE/DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("ingest", "0005_backfill_dimension_rollups"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="envelope",
                    name="dedup_key",
                    field=models.TextField(),
                ),
                migrations.AddConstraint(
                    model_name="envelope",
                    constraint=models.UniqueConstraint(fields=("dedup_key",), name=NEW_CONSTRAINT),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"ALTER TABLE ingest_envelope RENAME CONSTRAINT {OLD_CONSTRAINT} "
                    f"TO {NEW_CONSTRAINT}",
                    f"ALTER TABLE ingest_envelope RENAME CONSTRAINT {NEW_CONSTRAINT} "
                    f"TO {OLD_CONSTRAINT}",
                ),
                migrations.RunSQL(
                    f"DROP INDEX CONCURRENTLY IF EXISTS {LIKE_INDEX}",
                    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {LIKE_INDEX} "
                    "ON ingest_envelope (dedup_key text_pattern_ops)",
                ),
            ],
        ),
    ]
