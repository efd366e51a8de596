"""A fax line (AnsweredBy=fax) is its own outcome: hung up at once, no voicemail message, never retried."""
import pytest

from campaigns.models import CampaignLead
from crm.models import Call
from voice import live

from .test_webhooks import dial, post


@pytest.fixture
def dialed(running_campaign, twilio):
    return dial(running_campaign())


def test_a_fax_answer_hangs_up_and_ends_as_fax_not_voicemail(
    client, dialed, twilio, monkeypatch, eager, django_capture_on_commit_callbacks
):
    events = []
    monkeypatch.setattr(live, "notify", lambda call_id, event, **data: events.append(event))
    sid = dialed.provider_sid
    post(client, twilio.callback(sid, "in-progress"))

    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, twilio.amd_callback(sid, "fax")).status_code == 200

    assert "amd" not in events and "hangup" in events  # the session never switches to its voicemail message
    assert twilio.calls[sid].status == "completed"  # hung up at the provider
    with django_capture_on_commit_callbacks(execute=True):
        post(client, twilio.callback(sid, "completed", CallDuration="4"))
    call = Call.objects.get(pk=dialed.pk)
    assert call.finalized_at is not None and call.outcome == Call.Outcome.FAX
    entry = CampaignLead.objects.get(pk=call.campaign_lead_id)
    assert entry.state == CampaignLead.State.DONE and entry.next_attempt_at is None


def test_a_fax_the_session_took_for_a_voicemail_is_still_a_fax(dialed):
    from django.utils import timezone

    from dialer.outcomes import finalize_call

    Call.objects.filter(pk=dialed.pk).update(
        answered_by="fax", outcome=Call.Outcome.VOICEMAIL, status=Call.Status.COMPLETED, ended_at=timezone.now()
    )

    assert finalize_call(dialed.pk, force=True)
    call = Call.objects.get(pk=dialed.pk)
    assert call.outcome == Call.Outcome.FAX
    assert CampaignLead.objects.get(pk=call.campaign_lead_id).state == CampaignLead.State.DONE
