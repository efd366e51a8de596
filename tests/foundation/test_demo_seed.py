import pytest
from django.core.management import call_command

from campaigns.models import Campaign
from crm.models import Lead, Rep

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent():
    call_command("seed_demo", leads=12)
    call_command("seed_demo", leads=12)
    campaign = Campaign.objects.get(slug="demo")
    assert campaign.hopper.count() == 12
    assert Lead.objects.count() == 12
    assert Rep.objects.count() == 3
    assert campaign.script.versions.count() == 1
    assert "AI assistant" in campaign.active_script_version.opening_line
