"""The hopper's campaign foreign key loses its own index: the unique (campaign, lead) constraint's index leads with
the campaign and serves every campaign filter, so the third copy only cost each imported row an index entry.

Only the index is dropped (the foreign key is not dropped and re-added, which would re-check every hopper row)."""
import django.db.models.deletion
from django.db import migrations, models

INDEX = "campaigns_campaignlead_campaign_id_0d317bb1"  # the name Django gave the foreign key's index in 0002


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0007_import_row_errors"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="campaignlead",
                    name="campaign",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="hopper",
                        to="campaigns.campaign",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    f"CREATE INDEX IF NOT EXISTS {INDEX} ON campaigns_campaignlead (campaign_id)",
                ),
            ],
        ),
    ]
