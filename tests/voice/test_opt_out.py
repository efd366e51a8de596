"""Asking not to be called again, on a call placed through the real dialer path."""
from campaigns.models import Campaign, CampaignLead
from crm.models import Call, DoNotCall
from dialer import pacing, windows
from dialer.claims import claim_due_leads
from tests import factories
from voice.rehearsals import rehearse

from .calls import zone_in_daytime


def test_an_opt_out_lands_on_do_not_call_and_stops_every_further_attempt(transactional_db, eager_celery, settings):
    settings.TWILIO_CPS_LIMIT = 1000
    settings.SIM_TELEPHONY_RING_SECONDS = 0
    settings.DIALER_ZONE_CACHE_SECONDS = 0
    windows.forget_cached_zones()
    pacing.get_pacer().reset([pacing.account_bucket()])
    lead = factories.lead(timezone=zone_in_daytime(), attributes={"persona": "opt_out"})
    campaign = factories.campaign(status=Campaign.Status.RUNNING, calls_per_second=100, max_attempts=5)
    other = factories.campaign(status=Campaign.Status.RUNNING, calls_per_second=100)
    entry = factories.hopper_entry(campaign, lead)
    elsewhere = factories.hopper_entry(other, lead)
    pacing.reset(campaign.pk)
    pacing.reset(other.pk)

    report = rehearse(campaign, 1, timeout=120)

    call = Call.objects.get(pk=report.call_ids[0])
    assert call.outcome == Call.Outcome.OPT_OUT and call.finalized_at is not None
    assert DoNotCall.objects.filter(phone=lead.phone, source=DoNotCall.Source.OPT_OUT).exists()
    entry.refresh_from_db()
    elsewhere.refresh_from_db()
    assert entry.state == elsewhere.state == CampaignLead.State.DO_NOT_CALL
    assert claim_due_leads(campaign.pk, dispatch=None) == []
    assert claim_due_leads(other.pk, dispatch=None) == []
