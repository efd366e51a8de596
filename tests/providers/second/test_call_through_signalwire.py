"""A whole call over SignalWire (TELEPHONY=signalwire): dialed through the LaML emulator, its `<Connect><Stream>`
opened by a simulated callee as SignalWire would (the start message naming the Project ID), answered by a
CallSession over the real media WebSocket, and settled by status callbacks signed with the Signing Key."""
from __future__ import annotations

import asyncio
import re

import pytest
from asgiref.sync import sync_to_async

from crm.models import Call, DoNotCall
from dialer.placing import dial_request
from tests.emulators.rehearsal import callee_captions, scripted_reply
from tests.emulators.signalwire_rest import SignalWireEmulator
from voice import metrics
from voice.sim.callee import CalleeLog, run_callee
from voice.telephony import get_telephony

from ..calls import dialed_call

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def signalwire(vendor_settings):
    emulator = SignalWireEmulator().start()
    vendor_settings.TELEPHONY = "signalwire"
    vendor_settings.SIGNALWIRE_PROJECT_ID = emulator.project_id
    vendor_settings.SIGNALWIRE_API_TOKEN = emulator.auth_token
    vendor_settings.SIGNALWIRE_SPACE_URL = emulator.base_url
    vendor_settings.SIGNALWIRE_SIGNING_KEY = emulator.signing_key
    yield emulator
    emulator.stop()


def dial_through_signalwire(live, signalwire: SignalWireEmulator) -> tuple[str, str]:
    """The adapter dials the call; (SignalWire's call sid, the media stream URL from the LaML it was sent)."""
    call = Call.objects.select_related("lead", "campaign").get(pk=live.call.pk)
    sid = get_telephony().place_call(dial_request(call))
    Call.objects.filter(pk=call.pk).update(provider_sid=sid)
    twiml = signalwire.calls[sid].get("Twiml") or ""
    return sid, re.search(r'<Stream url="([^"]+)"', twiml).group(1)


async def test_an_opt_out_call_runs_over_signalwire_media_streams(deepgram, openai_server, cartesia, voice_server,
                                                                  signalwire):
    deepgram.captions = callee_captions
    openai_server.responder = scripted_reply
    live = await sync_to_async(dialed_call)(persona="opt_out")
    sid, stream_url = await sync_to_async(dial_through_signalwire)(live, signalwire)
    assert stream_url.startswith(voice_server.base_url.replace("http", "ws", 1) + "/media/")

    answered = await asyncio.to_thread(signalwire.deliver, signalwire.callback(sid, "in-progress"))
    log = CalleeLog(record_events=True)
    await run_callee(stream_url, sid, "opt_out", account_sid=signalwire.project_id, log=log, max_seconds=40)
    await asyncio.to_thread(metrics.wait_for, live.call.pk, 15.0)
    completed = await asyncio.to_thread(signalwire.deliver, signalwire.callback(sid, "completed", CallDuration="20"))

    assert answered.status_code == completed.status_code == 200  # signed with the Signing Key: accepted
    call = await sync_to_async(live.refresh)()
    assert call.provider_sid == sid and call.outcome == Call.Outcome.OPT_OUT
    assert await DoNotCall.objects.filter(phone=call.lead.phone).aexists()
    turns = [(t.speaker, t.text) async for t in call.turns.order_by("index")]
    assert ("caller", "Please take me off your list and do not call me again.") in turns
    assert log.agent_frames > 100 and log.marks_echoed
    [create] = signalwire.creates()
    assert create.auth == (signalwire.project_id, signalwire.auth_token)


async def test_a_stream_naming_another_account_is_refused(voice_server, signalwire):
    live = await sync_to_async(dialed_call)(persona="opt_out")
    sid, stream_url = await sync_to_async(dial_through_signalwire)(live, signalwire)
    log = CalleeLog(record_events=True)

    await run_callee(stream_url, sid, "opt_out", account_sid="AC" + "1" * 32, log=log, max_seconds=10)

    assert log.agent_frames == 0
