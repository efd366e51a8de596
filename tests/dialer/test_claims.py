"""Claiming: due leads become calls, within the concurrency cap, the attempt cap and the do-not-call list."""
import datetime as dt

import time_machine

from campaigns.models import Campaign, CampaignLead
from crm.models import Call, DoNotCall
from dialer.claims import claim_due_leads, tick
from tests import factories

from .conftest import at

NOON_NY = at("America/New_York", 2026, 6, 10, 12, 0)


def claim(campaign, now=NOON_NY, **kwargs):
    with time_machine.travel(now, tick=False):
        return claim_due_leads(campaign.pk, now, dispatch=None, **kwargs)


def test_a_claim_creates_one_queued_call_per_lead_and_marks_the_lead_in_flight(running_campaign):
    campaign = running_campaign()
    entry = factories.hopper_entry(campaign)

    [call_id] = claim(campaign)

    call = Call.objects.get(pk=call_id)
    entry.refresh_from_db()
    assert (call.status, call.lead_id, call.attempt, call.script_version) == (
        Call.Status.QUEUED,
        entry.lead_id,
        1,
        campaign.active_script_version,
    )
    assert (entry.state, entry.attempts) == (CampaignLead.State.CLAIMED, 1)
    assert claim(campaign) == []  # in flight: never claimed twice


def test_a_lead_on_the_do_not_call_list_is_never_claimed(running_campaign):
    campaign = running_campaign()
    blocked = factories.hopper_entry(campaign)
    factories.hopper_entry(campaign)
    DoNotCall.objects.create(phone=blocked.lead.phone)

    ids = claim(campaign)

    assert len(ids) == 1
    assert not Call.objects.filter(lead=blocked.lead).exists()


def test_it_claims_no_more_than_the_concurrency_cap_minus_calls_in_flight(running_campaign):
    campaign = running_campaign(max_concurrency=3)
    for _ in range(5):
        factories.hopper_entry(campaign)

    assert len(claim(campaign)) == 3
    assert claim(campaign) == []
    finished = Call.objects.filter(campaign=campaign).first()
    CampaignLead.objects.filter(pk=finished.campaign_lead_id).update(state=CampaignLead.State.DONE)
    assert len(claim(campaign)) == 1


def test_a_lead_out_of_attempts_is_not_claimed(running_campaign):
    campaign = running_campaign(max_attempts=2)
    factories.hopper_entry(campaign, state=CampaignLead.State.RETRY, attempts=2)

    assert claim(campaign) == []


def test_a_retry_is_not_claimed_before_its_time(running_campaign):
    campaign = running_campaign()
    factories.hopper_entry(
        campaign, state=CampaignLead.State.RETRY, attempts=1, next_attempt_at=NOON_NY + dt.timedelta(hours=1)
    )

    assert claim(campaign) == []
    assert len(claim(campaign, NOON_NY + dt.timedelta(hours=1))) == 1


def test_a_paused_campaign_claims_nothing(running_campaign):
    campaign = running_campaign(status=Campaign.Status.PAUSED)
    factories.hopper_entry(campaign)

    assert claim(campaign) == []


def test_on_commit_each_claimed_call_is_placed(running_campaign, eager, django_capture_on_commit_callbacks):
    campaign = running_campaign()
    factories.hopper_entry(campaign, factories.lead(attributes={"persona": "no_answer"}))

    with time_machine.travel(NOON_NY, tick=False), django_capture_on_commit_callbacks(execute=True):
        [call_id] = claim_due_leads(campaign.pk, NOON_NY)

    call = Call.objects.get(pk=call_id)
    assert call.provider_sid and call.status == Call.Status.DIALING and call.placed_at == NOON_NY


def test_tick_completes_a_campaign_with_nothing_left_to_dial(running_campaign):
    campaign = running_campaign()
    factories.hopper_entry(campaign, state=CampaignLead.State.DONE)
    on_dnc = factories.hopper_entry(campaign)
    DoNotCall.objects.create(phone=on_dnc.lead.phone)

    with time_machine.travel(NOON_NY, tick=False):
        assert tick(NOON_NY) == 0

    campaign.refresh_from_db()
    on_dnc.refresh_from_db()
    assert campaign.status == Campaign.Status.COMPLETED
    assert on_dnc.state == CampaignLead.State.DO_NOT_CALL


def test_tick_leaves_a_campaign_running_while_retries_wait(running_campaign):
    campaign = running_campaign()
    factories.hopper_entry(
        campaign, state=CampaignLead.State.RETRY, attempts=1, next_attempt_at=NOON_NY + dt.timedelta(hours=4)
    )

    with time_machine.travel(NOON_NY, tick=False):
        tick(NOON_NY)

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING


def test_a_person_on_a_call_in_one_campaign_is_not_claimed_by_another(running_campaign):
    import pytest
    from django.db import IntegrityError, transaction

    from crm.models import Call

    first, second = running_campaign(), running_campaign()
    entry = factories.hopper_entry(first)
    factories.hopper_entry(second, entry.lead)
    noon = at("America/New_York", 2026, 6, 10, 12, 0)

    with time_machine.travel(noon, tick=False):
        [call_id] = claim_due_leads(first.pk, noon, dispatch=None)
        assert claim_due_leads(second.pk, noon, dispatch=None) == []
    with pytest.raises(IntegrityError), transaction.atomic():
        Call.objects.create(campaign=second, campaign_lead=entry, lead=entry.lead, status=Call.Status.QUEUED)

    Call.objects.filter(pk=call_id).update(status=Call.Status.COMPLETED, finalized_at=noon)
    with time_machine.travel(noon, tick=False):
        assert len(claim_due_leads(second.pk, noon, dispatch=None)) == 1
