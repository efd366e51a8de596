"""Barge-in during a vendor reply cancels both vendor streams, and the next reply answers the interruption."""
from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from tests.emulators.openai_chat import Reply
from tests.emulators.rehearsal import callee_captions
from voice.sim.personas import PERSONAS, Line, Persona

from .calls import converse, dialed_call

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PITCH = ("Great, thanks. We help sales teams. They reach more leads. It takes less effort. A rep can show you. "
         "It only takes twenty minutes. You can ask anything. Teams like yours love it. Shall we find a time?")


def agent(body) -> Reply:
    """A model that pitches slowly, answers 'who is this', and says goodbye."""
    said = next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), "")
    if said == "Sure, go ahead.":
        return Reply(text=PITCH, token_rate=6)
    if said == "Wait, who is this?":
        return Reply(text="I'm an AI assistant calling for Test Co.")
    if said == "Okay, bye.":
        return Reply(text="Goodbye.", tool_calls=[{"name": "end_call", "arguments": {"outcome": "conversation"}}])
    return Reply(text="Sorry?")


@pytest.fixture
def interrupter(monkeypatch):
    monkeypatch.setitem(PERSONAS, "vendor_interrupter", Persona("vendor_interrupter", (
        Line("Hello?", "at_start"),
        Line("Sure, go ahead."),
        Line("Wait, who is this?", "over_agent", after_ms=1000),
        Line("Okay, bye."),
    )))
    return "vendor_interrupter"


async def test_barge_in_cancels_the_llm_and_tts_streams_and_the_reply_answers_it(
    deepgram, openai_server, cartesia, voice_server, interrupter
):
    deepgram.captions = callee_captions
    openai_server.responder = agent
    live = await sync_to_async(dialed_call)(persona=interrupter)

    log = await converse(live, interrupter)

    pitch_stream = next(c for c in openai_server.recorder.of("client_closed") if c["of"] > 30)
    assert pitch_stream["sent"] < pitch_stream["of"]  # the model was still talking: its HTTP stream was closed
    pitch_context = next(cid for cid, requests in cartesia.contexts().items()
                         if any("We help sales teams." in r["transcript"] for r in requests))
    assert pitch_context.startswith(live.context_prefix)
    assert pitch_context in [c["context_id"] for c in cartesia.recorder.of("cancel")]
    assert pitch_context not in [d["context_id"] for d in cartesia.recorder.of("done")]
    assert log.clears >= 1

    answer = next(b for b in openai_server.requests() if b["messages"][-1]["content"] == "Wait, who is this?")
    heard = answer["messages"][-2]
    assert heard["role"] == "assistant" and heard["content"] and heard["content"] != PITCH
    assert PITCH.startswith(heard["content"])  # what the caller heard, no more

    call = await sync_to_async(live.refresh)()
    turns = [(t.speaker, t.text, t.interrupted) async for t in call.turns.order_by("index")]
    assert [t for t in turns if t[2]] and ("agent", "I'm an AI assistant calling for Test Co.", False) in turns
    assert call.outcome == "conversation"
