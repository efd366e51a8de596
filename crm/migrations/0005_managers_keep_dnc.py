"""Managers no longer delete do-not-call entries: deleting one means calling someone who asked not to be called."""
from django.db import migrations


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Managers"):
        group.permissions.remove(*Permission.objects.filter(codename="delete_donotcall", content_type__app_label="crm"))


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Managers"):
        group.permissions.add(*Permission.objects.filter(codename="delete_donotcall", content_type__app_label="crm"))


class Migration(migrations.Migration):
    dependencies = [("crm", "0004_meeting_rep_no_overlap")]

    operations = [migrations.RunPython(revoke, grant)]
