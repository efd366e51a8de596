"""Rehearsing with a vendor chosen but its key missing fails at once, naming the variable, and dials nobody."""
import pytest
from django.core.exceptions import ImproperlyConfigured

from campaigns.models import Campaign
from crm.models import Call
from tests import factories
from voice.rehearsals import rehearse


@pytest.mark.django_db
def test_rehearsing_with_a_vendor_but_no_key_fails_at_once_naming_the_variable(settings):
    settings.VOICE_TTS = "cartesia"
    settings.CARTESIA_API_KEY = ""
    campaign = factories.campaign(status=Campaign.Status.DRAFT)
    factories.hopper_entry(campaign, factories.lead())

    with pytest.raises(ImproperlyConfigured, match="VOICE_TTS=cartesia needs CARTESIA_API_KEY"):
        rehearse(campaign, calls=1, timeout=5)

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert not Call.objects.filter(campaign=campaign).exists()
