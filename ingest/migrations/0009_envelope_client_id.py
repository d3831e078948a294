"""Client ids stay unique ("the first copy wins") through a partial unique index that holds
only the envelopes that have one. Built CONCURRENTLY, so reads and ingest go on; a build
that failed before leaves an invalid index, which is dropped first so that running this
again builds it afresh."""

from django.db import migrations, models

DROP_INDEX = "DROP INDEX CONCURRENTLY IF EXISTS envelope_client_id"
CREATE_INDEX = (
    "CREATE UNIQUE INDEX CONCURRENTLY envelope_client_id "
    "ON ingest_envelope (client_id) WHERE client_id IS NOT NULL"
)


class Migration(migrations.Migration):
    atomic = False  # CREATE/DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("ingest", "0008_stored_batches"),
    ]

    operations = [
        migrations.AlterField(
            model_name="envelope",
            name="client_id",
            field=models.TextField(help_text="The record's own id, if it had one.", null=True),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(DROP_INDEX, migrations.RunSQL.noop),
                migrations.RunSQL(CREATE_INDEX, DROP_INDEX),
            ],
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
    ]
