"""Inbound calls: Call.direction and the number called; campaign and hopper row empty for inbound calls only;
the inbound outcomes; Managers view numbers, tickets and transfers (and work tickets), Admins everything."""

import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

ROLE_ACTIONS = {
    "Managers": ["view_phonenumber", "view_transfer", "view_ticket", "change_ticket"],
    "Admins": [f"{a}_{m}" for m in ("phonenumber", "ticket", "transfer") for a in ("view", "add", "change", "delete")],
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_ACTIONS.items():
        for group in Group.objects.filter(name=role):
            group.permissions.add(*Permission.objects.filter(codename__in=codenames, content_type__app_label="inbound"))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=ROLE_ACTIONS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="inbound"))


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0004_lead_import_queued_at_and_sheet'),
        ('crm', '0013_call_disclosure_heard_turn_opt_out_phrase'),
        ('inbound', '0001_inbound'),
    ]

    operations = [
        migrations.AddField(
            model_name='call',
            name='direction',
            field=models.CharField(choices=[('outbound', 'Outbound'), ('inbound', 'Inbound')], db_index=True, default='outbound', max_length=10),
        ),
        migrations.AddField(
            model_name='call',
            name='phone_number',
            field=models.ForeignKey(blank=True, help_text='Inbound: the number that was called', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='calls', to='inbound.phonenumber'),
        ),
        migrations.AlterField(
            model_name='call',
            name='campaign',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='calls', to='campaigns.campaign'),
        ),
        migrations.AlterField(
            model_name='call',
            name='campaign_lead',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='calls', to='campaigns.campaignlead'),
        ),
        migrations.AlterField(
            model_name='call',
            name='outcome',
            field=models.CharField(blank=True, choices=[('booked', 'Meeting booked'), ('not_interested', 'Not interested'), ('callback', 'Call back later'), ('opt_out', 'Opted out'), ('transferred', 'Transferred to rep'), ('conversation', 'Conversation, no booking'), ('hung_up', 'Hung up'), ('voicemail', 'Voicemail'), ('fax', 'Fax machine'), ('no_answer', 'No answer'), ('busy', 'Busy'), ('invalid_number', 'Invalid number'), ('blocked', 'Blocked (do-not-call or window)'), ('failed', 'Failed'), ('answered', 'Question answered'), ('ticket', 'Ticket created'), ('wrong_number', 'Wrong number'), ('after_hours', 'After-hours message'), ('over_capacity', 'Lines busy (at capacity)'), ('abandoned', 'Abandoned')], db_index=True, max_length=20),
        ),
        migrations.AddConstraint(
            model_name='call',
            constraint=models.CheckConstraint(condition=models.Q(('direction', 'inbound'), models.Q(('campaign__isnull', False), ('campaign_lead__isnull', False)), _connector='OR'), name='call_outbound_has_campaign', violation_error_message='An outbound call belongs to a campaign and its hopper row.'),
        ),
        migrations.RunPython(grant, revoke),
    ]
