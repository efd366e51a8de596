"""The session's lifecycle: nothing starts after close, the caller's last words are heard out and saved, every
task is kept and ended, a database blip loses no turn, and a failing tool never ends the call."""
import asyncio
import gc
import time
import warnings

import pytest
from django.db import OperationalError
from django.db.backends import utils as db_utils

from crm.models import Call
from voice.session import APOLOGY, CallSession
from voice.sim.personas import Line

from . import doubles
from .calls import agent_turns, caller_turns, converse, live_call
from .scripts import long_opening_campaign


def test_words_said_right_before_hanging_up_are_saved(voice_server, persona):
    name = persona(
        "says_and_hangs_up",
        Line("Hello?", "at_start"),
        Line("Sorry, I have to run, call me next week."),
        linger_s=0.0,  # hangs up the moment the line is said: its final transcript is still in flight
    )
    call = live_call()
    log, m = converse(call, name, max_seconds=30)

    assert log.hung_up_by == "callee"
    assert "Sorry, I have to run, call me next week." in [t.text for t in caller_turns(call)]


def test_a_wordless_barge_in_then_a_hang_up_starts_no_new_reply(voice_server, persona, monkeypatch, settings):
    monkeypatch.setitem(
        __import__("voice.providers.factory", fromlist=["PROVIDERS"]).PROVIDERS["tts"],
        "rehearsal",
        "tests.voice.doubles.CountingTTS",
    )
    name = persona(
        "coughs_and_hangs_up",
        Line("Hello?", "at_start"),
        Line("", "over_agent", after_ms=3200, noise_ms=700),
        linger_s=0.3,  # hangs up soon after the cough, before the false-interruption timer runs out
    )
    call = live_call(long_opening_campaign())  # the cough falls after the AI disclosure, which it cannot cut
    doubles.TTS_OPENS.clear()
    log, m = converse(call, name, max_seconds=30)
    opened_before_close = doubles.TTS_OPENS.count(call.provider_sid)

    assert m.interruptions == 1  # the cough cut the opening (600 ms without words)
    # The resume of the unheard rest would come false_interruption_s after the barge-in, i.e. after the hang-up:
    # wait that long (plus margin) for a TTS stream that must never open.
    time.sleep(settings.VOICE_FALSE_INTERRUPTION_S + 0.5)
    assert doubles.TTS_OPENS.count(call.provider_sid) == opened_before_close
    assert m.false_interruptions == 0


def test_a_stage_cancelled_before_it_ran_leaves_no_coroutine_unawaited():
    async def scenario() -> None:
        session = CallSession.__new__(CallSession)
        session._tasks, session.call_id = set(), 0

        async def stage() -> None:
            await asyncio.sleep(0)

        task = session._spawn(stage(), "reply")
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(scenario())
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]


@pytest.fixture
def turn_inserts_fail_twice(monkeypatch):
    """The database refuses the first two writes of turns (a blip), then recovers."""
    failures = {"left": 2}
    execute = db_utils.CursorWrapper._execute

    def flaky(self, sql, params, *ignored):
        if sql.lstrip().upper().startswith("INSERT") and '"crm_turn"' in sql and failures["left"] > 0:
            failures["left"] -= 1
            raise OperationalError("server closed the connection unexpectedly")
        return execute(self, sql, params, *ignored)

    monkeypatch.setattr(db_utils.CursorWrapper, "_execute", flaky)
    return failures


def test_a_database_blip_loses_no_turn(voice_server, turn_inserts_fail_twice):
    call = live_call()
    log, m = converse(call, "not_interested", max_seconds=60)

    assert turn_inserts_fail_twice["left"] == 0  # the blip did happen
    turns = list(call.turns.order_by("index"))
    assert [t.index for t in turns] == list(range(len(turns)))
    assert [t.text for t in caller_turns(call)] == log.said  # every line the callee said is a saved turn
    assert len(agent_turns(call)) >= 2


def test_a_tool_that_raises_comes_back_to_the_model_and_the_call_goes_on(voice_server, monkeypatch):
    from voice.tools import run_tool

    async def availability_breaks(ctx, name, arguments):
        if name == "check_availability":
            raise ValueError("rep_id must be an integer")
        return await run_tool(ctx, name, arguments)

    monkeypatch.setattr("voice.session.replies.run_tool", availability_breaks)
    call = live_call()
    log, m = converse(call, "books_meeting", max_seconds=90)

    call.refresh_from_db()
    assert APOLOGY not in [t.text for t in agent_turns(call)]
    assert call.outcome != Call.Outcome.FAILED and not call.error
    # the scripted agent read the error result (no slots) and closed the call politely
    assert "couldn't find a free time" in agent_turns(call)[-1].text
