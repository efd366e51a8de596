"""Create the three roles as groups, with the model permissions the Django admin needs."""
from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Managers": {
        "campaigns": ["campaign", "campaignlead", "leadimport"],
        "crm": ["lead", "donotcall", "call", "turn", "meeting", "rep", "availability"],
    },
    "Reps": {"crm": ["meeting", "availability"]},
    "Admins": {
        "campaigns": ["campaign", "campaignlead", "leadimport", "script", "scriptversion"],
        "crm": ["lead", "donotcall", "call", "turn", "meeting", "rep", "availability"],
    },
}
REP_ACTIONS = ("view", "change")


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, by_app in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        actions = REP_ACTIONS if role == "Reps" else ("view", "add", "change", "delete")
        codenames = [f"{action}_{model}" for models in by_app.values() for model in models for action in actions]
        group.permissions.set(Permission.objects.filter(codename__in=codenames))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("campaigns", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
