"""Whole calls inside a CallSession over the real media WebSocket with ElevenLabs speaking: Deepgram -> OpenAI
(with a tool) -> ElevenLabs; and a barge-in that closes the ElevenLabs context of the interrupted reply."""
from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from crm.models import Call, DoNotCall
from tests.emulators.rehearsal import callee_captions, scripted_reply

from ..calls import converse, dialed_call
from ..test_call_barge_in import PITCH, agent, interrupter  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


async def test_an_opt_out_call_runs_through_elevenlabs(deepgram, openai_server, elevenlabs, elevenlabs_settings,
                                                        voice_server):
    deepgram.captions = callee_captions
    openai_server.responder = scripted_reply
    live = await sync_to_async(dialed_call)(persona="opt_out")

    log = await converse(live, "opt_out")

    call = await sync_to_async(live.refresh)()
    assert call.outcome == Call.Outcome.OPT_OUT
    assert await DoNotCall.objects.filter(phone=call.lead.phone).aexists()
    turns = [(t.speaker, t.text) async for t in call.turns.order_by("index")]
    assert any(speaker == "agent" and "won't call you again" in text for speaker, text in turns)
    contexts = [c for c in elevenlabs.contexts() if c.startswith(live.context_prefix)]
    assert len(contexts) >= 2
    assert elevenlabs.recorder.count("connected") == 1  # one socket for the whole call
    assert log.agent_frames > 100 and log.marks_echoed


async def test_barge_in_closes_the_elevenlabs_context_and_the_reply_answers_it(
    deepgram, openai_server, elevenlabs, elevenlabs_settings, voice_server, interrupter  # noqa: F811
):
    deepgram.captions = callee_captions
    openai_server.responder = agent
    live = await sync_to_async(dialed_call)(persona=interrupter)

    log = await converse(live, interrupter)

    pitch_context = next(cid for cid, messages in elevenlabs.contexts().items()
                         if any("We help sales teams." in (m.get("text") or "") for m in messages))
    assert pitch_context.startswith(live.context_prefix)
    closed = next(c for c in elevenlabs.recorder.of("close_context") if c["context_id"] == pitch_context)
    assert closed["chunks"] < len(PITCH.split()) * 3  # closed while ElevenLabs was still speaking it
    assert log.clears >= 1

    answer = next(b for b in openai_server.requests() if b["messages"][-1]["content"] == "Wait, who is this?")
    heard = answer["messages"][-2]
    assert heard["role"] == "assistant" and heard["content"] and heard["content"] != PITCH
    assert PITCH.startswith(heard["content"])  # what the caller heard (marks at the alignment boundaries)

    call = await sync_to_async(live.refresh)()
    turns = [(t.speaker, t.text, t.interrupted) async for t in call.turns.order_by("index")]
    assert [t for t in turns if t[2]] and ("agent", "I'm an AI assistant calling for Test Co.", False) in turns
    assert call.outcome == "conversation"
