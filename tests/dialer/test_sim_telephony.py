"""Simulated telephony behaves like Twilio towards Parley: signed callbacks over HTTP, personas, AMD, hang-up."""
import sys
import time
import types

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from campaigns.models import CampaignLead
from crm.models import Call
from dialer.claims import claim_due_leads
from tests import factories
from voice.telephony import get_telephony

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sim(settings, live_server, eager):
    settings.TELEPHONY = "sim"
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SIM_TELEPHONY_CALLBACKS = "http"
    telephony = get_telephony()
    yield telephony
    deadline = time.monotonic() + 10  # let the last callback's request finish before the database is reset
    while telephony.in_flight() and time.monotonic() < deadline:
        time.sleep(0.01)


def dial(campaign, persona: str) -> int:
    lead = factories.lead(timezone=factories.open_zone(campaign), attributes={"persona": persona})
    factories.hopper_entry(campaign, lead)
    [call_id] = claim_due_leads(campaign.pk)  # on commit: place_call (eager) -> simulated line
    return call_id


def finalized(call_id: int, timeout: float = 10.0) -> Call:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        call = Call.objects.get(pk=call_id)
        if call.finalized_at is not None:
            return call
        time.sleep(0.02)
    raise AssertionError(f"call {call_id} not finalized: {Call.objects.get(pk=call_id).status_events}")


@pytest.mark.parametrize(
    ("persona", "statuses", "outcome"),
    [
        ("no_answer", ["initiated", "ringing", "no-answer"], Call.Outcome.NO_ANSWER),
        ("busy", ["initiated", "busy"], Call.Outcome.BUSY),
        ("answer_and_hold", ["initiated", "ringing", "in-progress", "completed"], Call.Outcome.HUNG_UP),
    ],
)
def test_each_persona_reaches_the_webhooks_as_signed_twilio_callbacks(
    sim, running_campaign, persona, statuses, outcome
):
    campaign = running_campaign()
    call = finalized(dial(campaign, persona))

    assert [e["status"] for e in call.status_events] == statuses
    assert call.outcome == outcome and call.provider == "sim" and call.provider_sid.startswith("CA")
    assert [d["call_id"] for d in sim.ledger.dials() if d["sid"] == call.provider_sid] == [call.pk]


def test_voicemail_is_detected_before_the_callee_connects(sim, running_campaign, monkeypatch):
    seen = []

    async def run_callee(stream_url, call_sid, persona, account_sid="ACsimulated", custom_parameters=None):
        call = await Call.objects.aget(provider_sid=call_sid)
        await sync_to_async(connections.close_all)()
        seen.append((persona, call.answered_by, call.status, custom_parameters, stream_url))

    monkeypatch.setitem(sys.modules, "voice.sim.callee", types.SimpleNamespace(run_callee=run_callee))
    campaign = running_campaign()
    call = finalized(dial(campaign, "voicemail"))

    [(persona, answered_by, status, parameters, stream_url)] = seen
    assert (persona, answered_by, status) == ("voicemail", "machine_end_beep", Call.Status.IN_PROGRESS)
    assert parameters == {"call_id": str(call.pk)} and "/media/" in stream_url
    assert call.outcome == Call.Outcome.VOICEMAIL
    assert call.campaign_lead.state == CampaignLead.State.RETRY


def test_a_rest_hangup_ends_the_simulated_call(sim, running_campaign, settings):
    settings.SIM_TELEPHONY_HOLD_SECONDS = 60
    campaign = running_campaign()
    call_id = dial(campaign, "answer_and_hold")
    deadline = time.monotonic() + 10
    while Call.objects.get(pk=call_id).status != Call.Status.IN_PROGRESS and time.monotonic() < deadline:
        time.sleep(0.02)

    sim.hangup(Call.objects.get(pk=call_id).provider_sid)

    assert finalized(call_id).duration_seconds is not None


def test_direct_callbacks_need_no_web_server(sim, running_campaign, settings):
    settings.SIM_TELEPHONY_CALLBACKS = "direct"
    settings.PUBLIC_BASE_URL = "https://parley.example.com"
    call = finalized(dial(running_campaign(), "busy"))

    assert call.outcome == Call.Outcome.BUSY
