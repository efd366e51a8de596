"""A deploy (SIGTERM to the voice process) lets live calls finish for up to VOICE_DRAIN_SECONDS, then ends them
gracefully with their outcome recorded; new media sockets are refused meanwhile."""
from __future__ import annotations

import asyncio
import os
import threading

import pytest

from crm.models import Call
from voice.loopback_process import VoiceProcess, wait_until
from voice.sim.callee import CalleeLog, run_callee
from voice.tokens import make_media_token

from .calls import live_call
from .media_client import open_stream
from .test_cross_process_events import ENV

pytestmark = pytest.mark.skipif(
    not (os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL", "").startswith("postgres")),
    reason="a separate voice process needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)",
)


def _talk(port: int, call: Call, persona: str, log: CalleeLog) -> threading.Thread:
    url = f"ws://127.0.0.1:{port}/media/{make_media_token(call.pk)}"
    thread = threading.Thread(
        target=lambda: asyncio.run(run_callee(url, call.provider_sid, persona, log=log, max_seconds=60)), daemon=True
    )
    thread.start()
    return thread


def test_sigterm_mid_call_lets_it_run_then_ends_it_with_its_outcome_recorded(transactional_db):
    call, other = live_call(), live_call()
    log = CalleeLog(record_events=True)
    with VoiceProcess({**ENV, "VOICE_DRAIN_SECONDS": "3"}, name="drain") as voice:
        thread = _talk(voice.port, call, "books_meeting", log)
        assert wait_until(lambda: log.agent_frames > 0, 20), voice.log_text()
        frames_at_sigterm = log.agent_frames

        voice.terminate()
        assert wait_until(lambda: log.agent_frames > frames_at_sigterm + 50, 3), voice.log_text()  # still talking
        late = asyncio.run(_try_open(voice.port, other))
        exit_code = voice.wait(30)
        thread.join(10)
        text = voice.log_text()

    assert exit_code is not None, text  # the process did exit, within the drain and the goodbye
    assert late.agent_frames == 0, text  # a call arriving during the drain was not taken
    call.refresh_from_db()
    assert call.media_ended_at is not None and call.outcome, text
    assert call.outcome != Call.Outcome.HUNG_UP, text  # we ended it; the caller did not hang up on us
    assert log.hung_up_by == "agent"
    assert call.turns.filter(speaker="caller", text="Hello?").exists()


async def _try_open(port: int, call: Call):
    from .media_client import Connection

    try:
        url = f"ws://127.0.0.1:{port}/media/{make_media_token(call.pk)}"
        return await open_stream(url, call.provider_sid, seconds=1)
    except OSError:
        return Connection()


def test_a_call_that_ends_during_the_drain_keeps_its_own_outcome(transactional_db):
    call = live_call()
    log = CalleeLog(record_events=True)
    with VoiceProcess({**ENV, "VOICE_DRAIN_SECONDS": "30"}, name="drain2") as voice:
        thread = _talk(voice.port, call, "opt_out", log)
        assert wait_until(lambda: log.agent_frames > 0, 20), voice.log_text()
        voice.terminate()
        thread.join(40)
        exit_code = voice.wait(30)
        text = voice.log_text()

    assert exit_code is not None, text
    call.refresh_from_db()
    assert call.outcome == Call.Outcome.OPT_OUT, text
