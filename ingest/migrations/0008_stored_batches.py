"""Redelivered batches are recognised by their batch id: one StoredBatch row per batch,
instead of a unique key on every envelope (dropped by 0010, once 0009 has indexed client ids).

The batches already stored are recorded from their envelopes' keys ("s:<batch id>:<index>"),
so that a batch redelivered across the upgrade is still recognised; this reads every
envelope once. Imported files had the keys "s:import:<file hash>:<place>"; they are recorded
as the chunks the import command now names ("import:<file hash>:<place // 1000>"), so that
importing such a file again stores nothing twice. (A file whose import was interrupted
before the upgrade may then miss the rest of a chunk it had begun.)
"""

from django.db import migrations, models

IMPORT_CHUNK_PLACES = 1_000  # ingest.management.commands.import_envelopes.CHUNK_RECORDS

RECORD_STORED_BATCHES = f"""
INSERT INTO ingest_storedbatch (batch_id, stored_at)
SELECT CASE
         WHEN dedup_key LIKE 's:import:%'
         THEN 'import:' || split_part(dedup_key, ':', 3) || ':'
              || (split_part(dedup_key, ':', 4)::bigint / {IMPORT_CHUNK_PLACES})
         ELSE regexp_replace(substr(dedup_key, 3), ':[0-9]+$', '')
       END,
       min(received_at)
FROM ingest_envelope WHERE dedup_key LIKE 's:%'
GROUP BY 1
ON CONFLICT DO NOTHING
"""


class Migration(migrations.Migration):
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
    ]
