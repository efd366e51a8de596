"""Whole calls inside a CallSession with OpenAI speaking (VOICE_TTS=openai, the same OpenAI account as the LLM):
Deepgram -> OpenAI chat (with a tool) -> OpenAI audio.speech; and a barge-in that closes the speech stream."""
from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from crm.models import Call, DoNotCall
from tests.emulators.rehearsal import callee_captions, scripted_reply

from ..calls import converse, dialed_call
from ..test_call_barge_in import PITCH, agent, interrupter  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


async def test_an_opt_out_call_runs_through_openai_speech(deepgram, openai_server, openai_tts_settings, voice_server):
    deepgram.captions = callee_captions
    openai_server.responder = scripted_reply
    live = await sync_to_async(dialed_call)(persona="opt_out")

    log = await converse(live, "opt_out")

    call = await sync_to_async(live.refresh)()
    assert call.outcome == Call.Outcome.OPT_OUT
    assert await DoNotCall.objects.filter(phone=call.lead.phone).aexists()
    spoken = [b["input"] for b in openai_server.speech.requests()]
    turns = [(t.speaker, t.text) async for t in call.turns.order_by("index")]
    agent_said = " ".join(text for speaker, text in turns if speaker == "agent")
    assert spoken and all(sentence in agent_said for sentence in spoken)
    assert any("won't call you again" in sentence for sentence in spoken)
    assert log.agent_frames > 100 and log.marks_echoed


async def test_barge_in_closes_the_speech_stream_and_the_reply_answers_it(
    deepgram, openai_server, openai_tts_settings, voice_server, interrupter  # noqa: F811
):
    deepgram.captions = callee_captions
    openai_server.responder = agent
    openai_server.speech.realtime_factor = 2.0
    live = await sync_to_async(dialed_call)(persona=interrupter)

    log = await converse(live, interrupter)

    pitch_sentences = [s.strip() + "." for s in PITCH.split(".") if s.strip()]
    requested = [b["input"] for b in openai_server.speech.requests()]
    assert set(pitch_sentences) - set(requested)  # the rest of the pitch was never asked for
    cut = [c for c in openai_server.speech.recorder.of("client_closed") if c["input"] in pitch_sentences]
    assert cut and cut[0]["sent"] < cut[0]["of"]  # the sentence being spoken had its stream closed
    assert log.clears >= 1

    answer = next(b for b in openai_server.requests() if b["messages"][-1]["content"] == "Wait, who is this?")
    heard = answer["messages"][-2]
    assert heard["role"] == "assistant" and heard["content"] and heard["content"] != PITCH
    assert PITCH.startswith(heard["content"])

    call = await sync_to_async(live.refresh)()
    turns = [(t.speaker, t.text, t.interrupted) async for t in call.turns.order_by("index")]
    assert [t for t in turns if t[2]] and ("agent", "I'm an AI assistant calling for Test Co.", False) in turns
    assert call.outcome == "conversation"
