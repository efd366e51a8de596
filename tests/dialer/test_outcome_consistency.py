"""An outcome never contradicts the call's own record: an answered call is never "No answer" or "Busy"."""
import pytest
from django.utils import timezone

from campaigns.models import CampaignLead
from crm.models import Call
from dialer.call_status import apply_status
from dialer.claims import claim_due_leads
from dialer.outcomes import finalize_call
from tests import factories

from .test_finalize import NOON_NY, RULES, ended_call


@pytest.mark.parametrize("proposed", [Call.Outcome.NO_ANSWER, Call.Outcome.BUSY])
def test_an_answered_call_whose_caller_never_spoke_is_not_no_answer(running_campaign, proposed):
    """The voice session ends a silent call itself after a re-prompt; the line was answered and the agent spoke."""
    campaign = running_campaign(retry_rules=RULES, max_attempts=3)
    factories.hopper_entry(campaign)
    call = ended_call(campaign, "in-progress", "completed", answered_by="human", CallDuration="27")
    now = timezone.now()
    Call.objects.filter(pk=call.pk).update(outcome=proposed, media_started_at=now, media_ended_at=now)

    assert finalize_call(call.pk, NOON_NY)

    call.refresh_from_db()
    assert call.answered_at is not None
    assert call.outcome == Call.Outcome.HUNG_UP
    assert call.campaign_lead.state == CampaignLead.State.RETRY  # tried again later, by the "hung up" rule
    assert call.campaign_lead.last_outcome == Call.Outcome.HUNG_UP


def test_a_call_nobody_answered_stays_no_answer(running_campaign):
    campaign = running_campaign(retry_rules=RULES, max_attempts=3)
    factories.hopper_entry(campaign)
    [call_id] = claim_due_leads(campaign.pk, NOON_NY, dispatch=None)
    Call.objects.filter(pk=call_id).update(provider_sid=f"CA{call_id:032d}", status=Call.Status.DIALING)
    apply_status(call_id, {"CallSid": f"CA{call_id:032d}", "CallStatus": "no-answer"}, NOON_NY)

    assert finalize_call(call_id, NOON_NY)
    assert Call.objects.get(pk=call_id).outcome == Call.Outcome.NO_ANSWER
