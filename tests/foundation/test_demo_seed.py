import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from campaigns.models import Campaign
from crm.models import Lead, Rep

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent():
    call_command("seed_demo", leads=12, demo=True)
    call_command("seed_demo", leads=12, demo=True)
    campaign = Campaign.objects.get(slug="demo")
    assert campaign.hopper.count() == 12
    assert Lead.objects.count() == 12
    assert Rep.objects.count() == 3
    assert campaign.script.versions.count() == 1
    assert "AI assistant" in campaign.active_script_version.opening_line


def test_with_debug_off_seed_demo_refuses_without_demo_and_creates_no_user(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--demo") as refused:
        call_command("seed_demo", leads=3)
    assert "parley-demo" in str(refused.value)
    assert not User.objects.exists() and not Campaign.objects.exists()


def test_with_debug_on_seed_demo_needs_no_flag(settings):
    settings.DEBUG = True
    call_command("seed_demo", leads=3)
    assert User.objects.filter(username="admin").exists()


def test_the_makefile_demo_target_passes_demo():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "manage.py seed_demo --demo" in makefile
