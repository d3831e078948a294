"""The per-envelope dedup key goes. Batches stored by the previous version since 0008 ran
are recorded first (the same statement, again), so a redelivery of one of them is still
recognised. Writes to ingest_envelope are locked out first (reads go on), so that no batch
an older worker commits during that scan goes unrecorded: ingest waits for the scan, about
a minute per 10 million envelopes. Each lock gives up after 10 s rather than queue every read
behind a long one; run it again then.

Going back rebuilds the keys: "c:<client id>", or "s:legacy:<envelope id>" (the place in a
batch is not kept). It rewrites every envelope under an exclusive lock (minutes on a large
table), and envelopes stored meanwhile would have no key: stop ingest first."""

import importlib

from django.db import migrations

stored_batches = importlib.import_module("ingest.migrations.0008_stored_batches")

LOCK_OUT_WRITES = [
    "SET LOCAL lock_timeout = '10s'",
    "LOCK TABLE ingest_envelope IN SHARE ROW EXCLUSIVE MODE",
]
DROP_DEDUP_KEY = ["ALTER TABLE ingest_envelope DROP COLUMN dedup_key"]
RESTORE_DEDUP_KEY = [
    "ALTER TABLE ingest_envelope ADD COLUMN dedup_key text",
    "UPDATE ingest_envelope SET dedup_key = CASE WHEN client_id IS NOT NULL "
    "THEN 'c:' || client_id ELSE 's:legacy:' || id END",
    "ALTER TABLE ingest_envelope ALTER COLUMN dedup_key SET NOT NULL",
    "ALTER TABLE ingest_envelope ADD CONSTRAINT envelope_dedup_key UNIQUE (dedup_key)",
]


class Migration(migrations.Migration):
    dependencies = [
        ("ingest", "0009_envelope_client_id"),
    ]

    operations = [
        migrations.RunSQL(LOCK_OUT_WRITES, migrations.RunSQL.noop),
        migrations.RunSQL(stored_batches.RECORD_STORED_BATCHES, migrations.RunSQL.noop),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(DROP_DEDUP_KEY, RESTORE_DEDUP_KEY)],
            state_operations=[
                migrations.RemoveConstraint(model_name="envelope", name="envelope_dedup_key"),
                migrations.RemoveField(model_name="envelope", name="dedup_key"),
            ],
        ),
    ]
