import pytest

from crm.models import Call
from tests import factories
from voice.tools import ToolContext


@pytest.fixture
def booking_call(db):
    """A call of a campaign with one rep free every day 9-17 in the lead's zone."""
    campaign = factories.campaign()
    rep = factories.rep(timezone="America/New_York", weekdays=range(7))
    campaign.reps.add(rep)
    lead = factories.lead(timezone="America/New_York")
    entry = factories.hopper_entry(campaign, lead)
    call = Call.objects.create(campaign=campaign, campaign_lead=entry, lead=lead,
                               script_version=campaign.active_script_version, provider_sid="CAagent")
    return ToolContext(call.pk, lead.pk, campaign.pk, knowledge_base=({"question": "price", "answer": "99"},)), rep
