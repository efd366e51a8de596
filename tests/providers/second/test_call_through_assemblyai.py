"""Whole calls inside a CallSession with AssemblyAI listening (VOICE_STT=assemblyai): AssemblyAI -> OpenAI (with a
tool) -> Cartesia; and a barge-in heard from AssemblyAI's interim turns."""
from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from crm.models import Call, DoNotCall
from tests.emulators.assemblyai import unformatted
from tests.emulators.rehearsal import callee_captions, scripted_reply

from ..calls import converse, dialed_call
from ..test_call_barge_in import PITCH, interrupter  # noqa: F401 (a fixture)
from ..test_call_barge_in import agent as exact_agent

CALLER_LINES = ("Sure, go ahead.", "Wait, who is this?", "Okay, bye.")

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def words_agent(body):
    """The barge-in test's model, matching the caller's words however cased and punctuated: a reply may start
    on AssemblyAI's interim turn, which is unformatted (`sure go ahead`), as a real model would not mind."""
    said = unformatted(next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), ""))
    line = next((line for line in CALLER_LINES if unformatted(line) == said), said)
    return exact_agent({**body, "messages": [*body["messages"][:-1], {"role": "user", "content": line}]})


def hears(assemblyai, live) -> None:
    """The emulator hears this call's callee (AssemblyAI's protocol has no tag to tell it which call it serves)."""
    assemblyai.caption_source = lambda session: callee_captions(live.sid)


async def test_an_opt_out_call_runs_through_assemblyai(assemblyai, openai_server, cartesia, assemblyai_settings,
                                                       voice_server):
    openai_server.responder = scripted_reply
    # The turn waits for AssemblyAI's end of turn however loaded the machine: this test is about its formatted
    # text, not about the local fallback that takes the interim after 1 s of silence (tests/voice/test_deadlines.py).
    assemblyai_settings.VOICE_INTERIM_FALLBACK_MS = assemblyai_settings.VOICE_END_OF_TURN_FALLBACK_MS = 10_000
    live = await sync_to_async(dialed_call)(persona="opt_out")
    hears(assemblyai, live)

    log = await converse(live, "opt_out")

    call = await sync_to_async(live.refresh)()
    assert call.outcome == Call.Outcome.OPT_OUT
    assert await DoNotCall.objects.filter(phone=call.lead.phone).aexists()
    turns = [(t.speaker, t.text) async for t in call.turns.order_by("index")]
    assert ("caller", "Please take me off your list and do not call me again.") in turns  # the formatted turn
    assert len(assemblyai.sessions) == 1 and log.agent_frames > 100
    assert "Terminate" in [c["type"] for c in assemblyai.recorder.of("control")]
    assert not assemblyai.recorder.of("refused_chunk")


async def test_barge_in_heard_by_assemblyai_cancels_the_reply_and_the_next_answers_it(
    assemblyai, openai_server, cartesia, assemblyai_settings, voice_server, interrupter  # noqa: F811
):
    openai_server.responder = words_agent
    live = await sync_to_async(dialed_call)(persona=interrupter)
    hears(assemblyai, live)

    log = await converse(live, interrupter)

    assert log.clears >= 1
    pitch_context = next(cid for cid, requests in cartesia.contexts().items()
                         if any("We help sales teams." in r["transcript"] for r in requests))
    assert pitch_context in [c["context_id"] for c in cartesia.recorder.of("cancel")]
    answer = next(b for b in openai_server.requests()
                  if unformatted(b["messages"][-1]["content"]) == "wait who is this")
    heard = answer["messages"][-2]
    assert heard["role"] == "assistant" and PITCH.startswith(heard["content"]) and heard["content"] != PITCH
    call = await sync_to_async(live.refresh)()
    turns = [(t.speaker, t.text, t.interrupted) async for t in call.turns.order_by("index")]
    assert [t for t in turns if t[2]] and ("agent", "I'm an AI assistant calling for Test Co.", False) in turns
    assert call.outcome == "conversation"
