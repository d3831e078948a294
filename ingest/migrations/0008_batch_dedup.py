"""Redelivered batches are recognised by their batch id (one StoredBatch row per batch)
instead of a unique key on every envelope; client ids stay unique through a partial index
that holds only the envelopes that have one.

Going forward, the batches already stored are recorded from their envelopes' dedup keys
("s:<batch id>:<index>"), so that a batch redelivered across the upgrade is still
recognised; this reads every envelope once. The client id index is built CONCURRENTLY
before the dedup key goes, so ingest can go on. Going back rebuilds dedup keys: "c:<client
id>", or "s:legacy:<envelope id>" (the place in a batch is not kept).
"""

from django.db import migrations, models

RECORD_STORED_BATCHES = """
INSERT INTO ingest_storedbatch (batch_id, stored_at)
SELECT regexp_replace(substr(dedup_key, 3), ':[0-9]+$', ''), min(received_at)
FROM ingest_envelope WHERE dedup_key LIKE 's:%' GROUP BY 1
ON CONFLICT DO NOTHING
"""
CREATE_CLIENT_ID_INDEX = (
    "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS envelope_client_id "
    "ON ingest_envelope (client_id) WHERE client_id IS NOT NULL"
)
DROP_CLIENT_ID_INDEX = "DROP INDEX CONCURRENTLY IF EXISTS envelope_client_id"
DROP_DEDUP_KEY = "ALTER TABLE ingest_envelope DROP COLUMN dedup_key"
RESTORE_DEDUP_KEY = [
    "ALTER TABLE ingest_envelope ADD COLUMN dedup_key text",
    "UPDATE ingest_envelope SET dedup_key = CASE WHEN client_id IS NOT NULL "
    "THEN 'c:' || client_id ELSE 's:legacy:' || id END",
    "ALTER TABLE ingest_envelope ALTER COLUMN dedup_key SET NOT NULL",
    "ALTER TABLE ingest_envelope ADD CONSTRAINT envelope_dedup_key UNIQUE (dedup_key)",
]


class Migration(migrations.Migration):
    atomic = False  # CREATE/DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("ingest", "0007_pending_rollups"),
    ]

    operations = [
        migrations.CreateModel(
            name="StoredBatch",
            fields=[
                ("batch_id", models.TextField(primary_key=True, serialize=False)),
                ("stored_at", models.DateTimeField()),
            ],
        ),
        migrations.RunSQL(RECORD_STORED_BATCHES, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="envelope",
            name="client_id",
            field=models.TextField(help_text="The record's own id, if it had one.", null=True),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(CREATE_CLIENT_ID_INDEX, DROP_CLIENT_ID_INDEX)],
            state_operations=[
                migrations.AddConstraint(
                    model_name="envelope",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("client_id__isnull", False)),
                        fields=("client_id",),
                        name="envelope_client_id",
                    ),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(DROP_DEDUP_KEY, RESTORE_DEDUP_KEY)],
            state_operations=[
                migrations.RemoveConstraint(model_name="envelope", name="envelope_dedup_key"),
                migrations.RemoveField(model_name="envelope", name="dedup_key"),
            ],
        ),
    ]
