"""Twilio status and AMD callbacks: signed or refused, idempotent, and never moved backwards."""
import asyncio

import pytest
import time_machine
from asgiref.sync import sync_to_async
from django.db import connections
from django.utils import timezone

from campaigns.models import CampaignLead
from crm.models import Call
from dialer import placing
from dialer.claims import claim_due_leads
from tests import factories
from voice import live

from .conftest import at

NOON_NY = at("America/New_York", 2026, 6, 10, 12, 0)


def dial(campaign) -> Call:
    factories.hopper_entry(campaign)
    with time_machine.travel(NOON_NY, tick=False):
        [call_id] = claim_due_leads(campaign.pk, NOON_NY, dispatch=None)
        placing.place_call(call_id)
    return Call.objects.get(pk=call_id)


@pytest.fixture
def dialed(running_campaign, twilio):
    return dial(running_campaign())


def post(client, signed, signature=None):
    url, params, good_signature = signed
    path = url.removeprefix("https://parley.example.com")
    headers = {} if signature == "" else {"HTTP_X_TWILIO_SIGNATURE": signature or good_signature}
    return client.post(path, data=params, **headers)


def test_an_unsigned_callback_is_refused_and_changes_nothing(client, dialed, twilio):
    response = post(client, twilio.callback(dialed.provider_sid, "completed", CallDuration="30"), signature="")

    assert response.status_code == 403
    dialed.refresh_from_db()
    assert (dialed.status, dialed.status_events, dialed.finalized_at) == (Call.Status.DIALING, [], None)


def test_a_forged_callback_is_refused_and_changes_nothing(client, dialed, twilio):
    url, params, _ = twilio.callback(dialed.provider_sid, "completed", CallDuration="30")
    signed_for_other_content = twilio.sign(url, {**params, "CallStatus": "ringing"})

    assert post(client, (url, params, signed_for_other_content)).status_code == 403
    assert post(client, (url, params, "bm90IGEgc2lnbmF0dXJl")).status_code == 403
    dialed.refresh_from_db()
    assert (dialed.status, dialed.status_events) == (Call.Status.DIALING, [])


def test_a_signed_callback_replayed_to_another_calls_url_is_refused(client, dialed, twilio):
    _, params, signature = twilio.callback(dialed.provider_sid, "ringing")
    other = factories.hopper_entry(dialed.campaign)
    other_call = Call.objects.create(campaign=dialed.campaign, campaign_lead=other, lead=other.lead)

    response = client.post(f"/telephony/twilio/status/{other_call.pk}/", data=params, HTTP_X_TWILIO_SIGNATURE=signature)

    assert response.status_code == 403
    other_call.refresh_from_db()
    assert other_call.status_events == [] and other_call.provider_sid is None


def test_a_call_without_a_conversation_is_finalized_when_twilio_reports_it_completed(
    client, dialed, twilio, eager, django_capture_on_commit_callbacks
):
    sid = dialed.provider_sid
    with django_capture_on_commit_callbacks(execute=True):
        for status in ("initiated", "ringing", "in-progress"):
            assert post(client, twilio.callback(sid, status)).status_code == 200
        assert post(client, twilio.amd_callback(sid, "human")).status_code == 200
        assert post(client, twilio.callback(sid, "completed", CallDuration="7")).status_code == 200

    dialed.refresh_from_db()
    assert [e["status"] for e in dialed.status_events] == ["initiated", "ringing", "in-progress", "completed"]
    assert (dialed.status, dialed.answered_by, dialed.duration_seconds) == (Call.Status.COMPLETED, "human", 7)
    assert dialed.outcome == Call.Outcome.HUNG_UP and dialed.finalized_at is not None


def test_a_ringing_that_arrives_after_the_end_does_not_regress_the_call(
    client, dialed, twilio, eager, django_capture_on_commit_callbacks
):
    sid = dialed.provider_sid
    late_ringing = twilio.callback(sid, "ringing")
    with django_capture_on_commit_callbacks(execute=True):
        post(client, twilio.callback(sid, "no-answer", CallDuration="0"))
        post(client, late_ringing)
        post(client, twilio.callback(sid, "no-answer", CallDuration="0"))  # delivered twice

    dialed.refresh_from_db()
    entry = dialed.campaign_lead
    assert dialed.status == Call.Status.COMPLETED and dialed.outcome == Call.Outcome.NO_ANSWER
    assert [e["status"] for e in dialed.status_events] == ["no-answer", "ringing"]
    assert (entry.state, entry.attempts) == (CampaignLead.State.RETRY, 1)


def test_a_callback_naming_another_call_sid_is_ignored(client, dialed, twilio):
    url, params, _ = twilio.callback(dialed.provider_sid, "completed", CallDuration="3")
    params = {**params, "CallSid": "CA" + "f" * 32}

    assert post(client, (url, params, twilio.sign(url, params))).status_code == 200

    dialed.refresh_from_db()
    assert dialed.status == Call.Status.DIALING and dialed.status_events == []


def test_completed_waits_for_the_voice_session_to_save_its_turns(
    client, dialed, twilio, eager, django_capture_on_commit_callbacks
):
    from dialer.tasks import finalize_call

    Call.objects.filter(pk=dialed.pk).update(media_started_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        post(client, twilio.callback(dialed.provider_sid, "in-progress"))
        post(client, twilio.callback(dialed.provider_sid, "completed", CallDuration="95"))
    dialed.refresh_from_db()
    assert dialed.finalized_at is None

    # The voice session ends: it saves its outcome, marks media ended and asks for finalization.
    Call.objects.filter(pk=dialed.pk).update(media_ended_at=timezone.now(), outcome=Call.Outcome.BOOKED)
    finalize_call.delay(dialed.pk)

    dialed.refresh_from_db()
    assert dialed.outcome == Call.Outcome.BOOKED and dialed.finalized_at is not None
    assert dialed.campaign_lead.state == CampaignLead.State.DONE


@pytest.mark.django_db(transaction=True)
async def test_the_amd_verdict_reaches_the_live_session(async_client, twilio, running_campaign):
    call = await sync_to_async(dial)(await sync_to_async(running_campaign)())
    heard: asyncio.Queue = asyncio.Queue()
    live.register(call.pk, lambda event, data: heard.put_nowait((event, data)))
    try:
        url, params, signature = twilio.amd_callback(call.provider_sid, "machine_end_beep")
        path = url.removeprefix("https://parley.example.com")
        response = await async_client.post(path, data=params, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200
        assert await asyncio.wait_for(heard.get(), 5) == ("amd", {"answered_by": "machine_end_beep"})
    finally:
        live.unregister(call.pk)
    await call.arefresh_from_db()
    assert call.answered_by == "machine_end_beep"
    await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
def test_the_emulator_delivers_signed_callbacks_over_http_to_the_public_url(live_server, twilio, running_campaign):
    call = dial(running_campaign())

    response = twilio.deliver(twilio.callback(call.provider_sid, "ringing"), to_base=live_server.url)
    forged = twilio.deliver((*twilio.callback(call.provider_sid, "in-progress")[:2], "Zm9yZ2Vk"), live_server.url)

    assert (response.status_code, forged.status_code) == (200, 403)
    call.refresh_from_db()
    assert call.status == Call.Status.RINGING
