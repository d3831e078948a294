"""Retention deletes stored batch ids by age, in bounded chunks: an index on stored_at keeps
that from scanning the whole table (one row per batch for the retention period). Built
CONCURRENTLY, so ingest goes on; an earlier failed build is dropped first."""

from django.db import migrations, models

DROP_INDEX = "DROP INDEX CONCURRENTLY IF EXISTS storedbatch_stored_at_idx"
CREATE_INDEX = (
    "CREATE INDEX CONCURRENTLY storedbatch_stored_at_idx ON ingest_storedbatch (stored_at)"
)


class Migration(migrations.Migration):
    atomic = False  # CREATE/DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("ingest", "0011_pending_rollup_hours"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(DROP_INDEX, migrations.RunSQL.noop),
                migrations.RunSQL(CREATE_INDEX, DROP_INDEX),
            ],
            state_operations=[
                migrations.AddIndex(
                    model_name="storedbatch",
                    index=models.Index(fields=["stored_at"], name="storedbatch_stored_at_idx"),
                ),
            ],
        ),
    ]
