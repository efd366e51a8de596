"""Campaign controls for Managers: start, pause (calls in flight finish), resume, stop."""
import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from campaigns.models import Campaign, CampaignLead, Script
from crm.models import Call
from crm.roles import MANAGERS, REPS
from dialer import placing
from dialer.call_status import apply_status
from dialer.claims import claim_due_leads
from dialer.controls import (
    CampaignControlError,
    pause_campaign,
    resume_campaign,
    start_campaign,
    stop_campaign,
)
from dialer.outcomes import finalize_call
from tests import factories

from .conftest import at

NOON_NY = at("America/New_York", 2026, 6, 10, 12, 0)


def claim(campaign):
    with time_machine.travel(NOON_NY, tick=False):
        return claim_due_leads(campaign.pk, NOON_NY, dispatch=None)


def test_a_manager_starts_a_draft_campaign_and_it_begins_dialing(running_campaign, make_user):
    campaign = running_campaign(status=Campaign.Status.DRAFT)
    factories.hopper_entry(campaign)
    assert claim(campaign) == []

    start_campaign(campaign, make_user("morgan", MANAGERS))

    assert campaign.status == Campaign.Status.RUNNING
    assert len(claim(campaign)) == 1


def test_a_rep_cannot_control_a_campaign(running_campaign, make_user):
    campaign = running_campaign()

    with pytest.raises(PermissionDenied):
        pause_campaign(campaign, make_user("riley", REPS))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING


def test_pause_stops_new_claims_while_the_call_in_flight_finishes(running_campaign, make_user, twilio):
    manager = make_user("morgan", MANAGERS)
    campaign = running_campaign(max_concurrency=1)
    factories.hopper_entry(campaign)
    factories.hopper_entry(campaign)
    [in_flight] = claim(campaign)
    with time_machine.travel(NOON_NY, tick=False):
        placing.place_call(in_flight)

    pause_campaign(campaign, manager)
    sid = Call.objects.get(pk=in_flight).provider_sid
    apply_status(in_flight, {"CallSid": sid, "CallStatus": "in-progress"})  # answered (Twilio's 'answered' event)
    apply_status(in_flight, {"CallSid": sid, "CallStatus": "completed", "CallDuration": "12"})

    assert finalize_call(in_flight)
    assert Call.objects.get(pk=in_flight).outcome == Call.Outcome.HUNG_UP
    assert claim(campaign) == []
    resume_campaign(campaign, manager)
    assert len(claim(campaign)) == 1


def test_a_claimed_call_not_yet_dialed_when_paused_is_given_back(running_campaign, make_user, twilio):
    campaign = running_campaign()
    factories.hopper_entry(campaign)
    [call_id] = claim(campaign)

    pause_campaign(campaign, make_user("morgan", MANAGERS))
    with time_machine.travel(NOON_NY, tick=False):
        assert placing.place_call(call_id) == placing.Placed.RELEASED

    assert twilio.creates() == []
    entry = CampaignLead.objects.get(campaign=campaign)
    assert (entry.state, entry.attempts) == (CampaignLead.State.RETRY, 0)


def test_stop_ends_dialing_and_cannot_be_resumed(running_campaign, make_user):
    manager = make_user("morgan", MANAGERS)
    campaign = running_campaign()
    factories.hopper_entry(campaign)

    stop_campaign(campaign, manager)

    assert claim(campaign) == []
    with pytest.raises(CampaignControlError, match="Cannot resume a campaign that is stopped"):
        resume_campaign(campaign, manager)


def test_a_campaign_without_a_script_version_cannot_start(running_campaign, make_user):
    campaign = running_campaign(status=Campaign.Status.DRAFT)
    script = Script.objects.create(name="Empty", slug="empty-script")
    Campaign.objects.filter(pk=campaign.pk).update(script=script)
    campaign.refresh_from_db()

    with pytest.raises(CampaignControlError, match="no version"):
        start_campaign(campaign, make_user("morgan", MANAGERS))
    assert campaign.status == Campaign.Status.DRAFT
