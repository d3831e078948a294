"""Queued rollup rows name the hours they touch, so that readers count those hours from raw
rows instead of folding first. Rows queued before this (hours NULL) are read whole by
readers, so nothing needs backfilling. Adding a nullable column is a catalog change only."""

import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ingest", "0010_drop_dedup_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="pendingrollup",
            name="hours",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.DateTimeField(),
                help_text=(
                    "The hours these rows touch: readers count them from raw rows until folded."
                ),
                null=True,
                size=None,
            ),
        ),
    ]
