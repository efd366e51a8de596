"""Events reach the call wherever it lives: the media socket on voice process A, Twilio's signed AMD and status
callbacks on process B (two real uvicorn processes on PostgreSQL and Redis)."""
from __future__ import annotations

import asyncio
import os
import threading

import pytest

from crm.models import Call
from voice.loopback_process import VoiceProcess, post_signed_callback, wait_until
from voice.sim.callee import CalleeLog, run_callee
from voice.telephony.sim import SIM_ACCOUNT_SID
from voice.tokens import make_media_token

from .calls import agent_turns, live_call

pytestmark = pytest.mark.skipif(
    not (os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL", "").startswith("postgres")),
    reason="two voice processes need PostgreSQL and Redis (DATABASE_URL, REDIS_URL)",
)
ENV = {
    "TELEPHONY": "sim", "VOICE_STT": "rehearsal", "VOICE_LLM": "rehearsal", "VOICE_TTS": "rehearsal",
    "REHEARSAL_TTS_ENGINE": "synth", "VOICE_GREETING_WAIT_MS": "800", "CELERY_TASK_ALWAYS_EAGER": "1",
}  # fmt: skip


@pytest.fixture
def two_processes(transactional_db):
    with VoiceProcess(ENV, name="a") as a, VoiceProcess(ENV, name="b") as b:
        yield a, b


def _callee(a: VoiceProcess, call: Call, persona: str, log: CalleeLog) -> threading.Thread:
    url = f"ws://127.0.0.1:{a.port}/media/{make_media_token(call.pk)}"
    thread = threading.Thread(
        target=lambda: asyncio.run(run_callee(url, call.provider_sid, persona, log=log, max_seconds=40)), daemon=True
    )
    thread.start()
    return thread


def _params(call: Call, **extra: str) -> dict[str, str]:
    return {"AccountSid": SIM_ACCOUNT_SID, "CallSid": call.provider_sid, "Direction": "outbound-api", **extra}


def _ended(call: Call) -> bool:
    call.refresh_from_db()
    return call.media_ended_at is not None


def test_the_amd_verdict_posted_to_process_b_reaches_the_session_on_process_a(two_processes):
    a, b = two_processes
    call = live_call(answered_by="")
    log = CalleeLog(record_events=True)
    thread = _callee(a, call, "voicemail", log)
    assert wait_until(lambda: log.said, 15), a.log_text()

    amd = _params(call, AnsweredBy="machine_end_beep")
    status = post_signed_callback(b.base_url, f"/telephony/twilio/amd/{call.pk}/", amd)

    assert status == 200
    assert wait_until(lambda: _ended(call), 40), a.log_text()
    thread.join(10)
    assert call.outcome == Call.Outcome.VOICEMAIL
    assert agent_turns(call)[-1].text == call.script_version.voicemail_message
    assert log.hung_up_by == "agent"


def test_the_provider_hang_up_posted_to_process_b_ends_the_session_on_process_a(two_processes):
    a, b = two_processes
    call = live_call()
    log = CalleeLog(record_events=True)
    thread = _callee(a, call, "books_meeting", log)
    assert wait_until(lambda: log.agent_frames > 0, 15), a.log_text()

    status = post_signed_callback(b.base_url, f"/telephony/twilio/status/{call.pk}/",
                                  _params(call, CallStatus="completed", CallDuration="3"))  # fmt: skip

    assert status == 200
    assert wait_until(lambda: _ended(call), 10), a.log_text()  # at once, not when the callee gives up
    thread.join(10)
    assert log.hung_up_by == "agent"  # our side closed the stream, as Twilio would after the hang-up
    assert call.outcome == Call.Outcome.HUNG_UP
    assert call.turns.filter(speaker="caller", text="Hello?").exists()
