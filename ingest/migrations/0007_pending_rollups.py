"""The queue of rollup rows between storing a batch and folding it (`ingest.fold`).

Rollups already stored stay as they are: they were complete when this ran. Going back
refuses while batches wait to be folded, since dropping them would lose their counts."""

from django.db import migrations, models


def refuse_unfolded(apps, schema_editor):
    if apps.get_model("ingest", "PendingRollup").objects.exists():
        raise RuntimeError(
            "batches wait to be folded into the rollups: stop ingest, run "
            "`python manage.py shell -c 'from ingest.fold import fold_pending_rollups; "
            "fold_pending_rollups()'`, then migrate back"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("ingest", "0006_envelope_dedup_key_constraint"),
    ]

    operations = [
        migrations.CreateModel(
            name="PendingRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("counts", models.BinaryField()),
            ],
        ),
        # Rows live for a second or so: compressing them costs more than it saves.
        migrations.RunSQL(
            "ALTER TABLE ingest_pendingrollup ALTER COLUMN counts SET STORAGE EXTERNAL",
            migrations.RunSQL.noop,
        ),
        # Locked by one fold (or reader) at a time; it never holds a row (see ingest.fold).
        migrations.RunSQL(
            "CREATE TABLE ingest_foldlock ()",
            "DROP TABLE ingest_foldlock",
        ),
        migrations.RunPython(migrations.RunPython.noop, refuse_unfolded),
    ]
