"""Real-speech benchmark: the corpus (voice.sim.corpus: Debian's recordings and Piper's sales-call phrases) spoken
into live calls over the real media WebSocket, each heard by a CallSession through the local Whisper STT over the
phone-line codec (mu-law 8 kHz), the agent speaking with Piper. Needs the local voice extra (`make local-voice`)
and `apt install pocketsphinx-testdata alsa-utils espeak-ng`.

    python -m bench.real_speech --json

Calls are placed until every utterance was spoken (a call ends when the scripted agent ends it, e.g. after an
opt-out; the lines not yet spoken go to the next call). Every line waits for the agent's reply, so any barge-in
is a false one. Reference measured in the same run: each utterance transcribed alone, with nothing else running
(`whisper_pass_ms`), which is the floor under end of turn; Piper's time to first audio is measured the same way.

Figures (the last line is JSON):
- wer: word error rate over all utterances (per call: the lines said against the caller turns heard).
- end_of_turn_ms: the caller's last voiced frame -> the session's end of turn (Turn.stt_ms), p50/p95.
- false_barge_ins: interruptions of the agent (no line was spoken over it).
- stt_cpu_per_audio_s: process CPU seconds per second of audio while transcribing the corpus alone.
  Beside it (detail line, `session_stt`): the Whisper passes made during the calls (speculative ones started, used
  as finals, voided by speech resuming) and their CPU per second of caller audio; an upper bound, since process CPU
  during a pass includes the other threads (Piper, the session) running meanwhile.
- tts_first_audio_ms: Piper, text pushed -> first audio chunk, per agent sentence, p50.
Goals: WER <= 15 %, end of turn p50 <= 800 ms, 0 false barge-ins, STT CPU <= 0.4 x audio.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
import uuid

import django

from bench import production_settings

GOALS = {"wer": 0.15, "end_of_turn_p50_ms": 800, "false_barge_ins": 0, "stt_cpu_per_audio_s": 0.4}
AGENT_SENTENCES = (
    "Hi Pat, this is Riley, an AI assistant calling for Acme.",
    "We help sales teams book more meetings without more work.",
    "How many people are on your sales team?",
    "I can do Tuesday at ten thirty or Wednesday at two, your time.",
    "Which works better?",
    "You're all set with Riley Chen on Tuesday at ten thirty.",
    "Understood, I've removed your number and we won't call you again.",
    "Thanks for your time today, goodbye!",
)


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["VOICE_STT"], os.environ["VOICE_TTS"] = "whisper", "piper"
    os.environ.setdefault("VOICE_LLM", "rehearsal")
    production_settings()
    django.setup()


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _percentile(values: list[float], p: float) -> float:
    from voice import metrics

    return round(metrics.percentile(values, p), 1) if values else 0.0


def reference(utterances) -> dict:
    """Each utterance transcribed alone (CPU and wall time per pass); Piper's first audio per agent sentence."""
    from voice.providers.piper import PiperTTS
    from voice.providers.resample import ulaw_to_float
    from voice.providers.whisper import transcribe_pcm
    from voice.sim import corpus

    audio = {u.name: corpus.audio(u.name) for u in utterances}  # rendered (Piper) before anything is timed
    transcribe_pcm(ulaw_to_float(audio[utterances[0].name]))  # first pass warms the model's buffers
    cpu0, seconds, passes = _cpu_s(), 0.0, []
    for u in utterances:
        t0 = time.perf_counter()
        transcribe_pcm(ulaw_to_float(audio[u.name]))
        passes.append((time.perf_counter() - t0) * 1000)
        seconds += len(audio[u.name]) / 8000
    cpu = _cpu_s() - cpu0

    async def first_audio(text: str) -> float:
        stream = await PiperTTS().open("")
        t0 = time.perf_counter()
        await stream.push(text)
        await stream.end()
        async for _chunk in stream.audio():
            took = (time.perf_counter() - t0) * 1000
            await stream.cancel()
            return took
        return 0.0

    tts = [asyncio.run(first_audio(s)) for s in AGENT_SENTENCES]
    return {"stt_cpu_per_audio_s": round(cpu / seconds, 3), "audio_s": round(seconds, 1),
            "whisper_pass_ms": {"p50": _percentile(passes, 50), "p95": _percentile(passes, 95)},
            "tts_first_audio_ms": {"p50": _percentile(tts, 50), "p95": _percentile(tts, 95)}}


def _call(campaign):
    from django.utils import timezone

    from campaigns.models import CampaignLead
    from crm.models import Call, Lead

    lead = Lead.objects.create(phone=f"+1555{uuid.uuid4().int % 10**7:07d}", first_name="Pat", timezone="UTC")
    entry = CampaignLead.objects.create(campaign=campaign, lead=lead, state=CampaignLead.State.CLAIMED, attempts=1)
    return Call.objects.create(
        campaign=campaign, campaign_lead=entry, lead=lead, script_version=campaign.active_script_version,
        provider_sid="CA" + uuid.uuid4().hex, status=Call.Status.IN_PROGRESS, answered_by="human",
        placed_at=timezone.now(),
    )  # fmt: skip


def _campaign():
    import datetime as dt

    from django.contrib.auth.models import User

    from campaigns.demo import SCRIPT
    from campaigns.models import Campaign, Script
    from campaigns.scripts import save_new_version
    from crm.models import Availability, Rep

    run = uuid.uuid4().hex[:8]
    script = Script.objects.create(name="Bench real speech", slug=f"bench-speech-{run}")
    save_new_version(script, publish=True, **SCRIPT)
    campaign = Campaign.objects.create(
        name="Bench real speech", slug=f"bench-speech-{run}", script=script, caller_id="+14155550100",
        status=Campaign.Status.RUNNING, max_concurrency=100, calls_per_second=10,
    )  # fmt: skip
    user = User.objects.create(username=f"bench-speech-{run}", first_name="Riley", last_name="Chen")
    rep = Rep.objects.create(user=user, timezone="UTC")
    Availability.objects.bulk_create(Availability(rep=rep, weekday=d, start=dt.time(0), end=dt.time(23, 30))
                                     for d in range(7))
    campaign.reps.add(rep)
    return campaign


def conversations(utterances, max_calls: int) -> dict:
    """Speak every utterance into calls, one after another; WER, end of turn and barge-ins from what was saved."""
    from crm.models import Turn
    from voice import metrics
    from voice.loopback import LoopbackServer
    from voice.providers import whisper
    from voice.providers.factory import warm_local_models
    from voice.sim import corpus, personas
    from voice.sim.callee import CalleeLog, run_callee
    from voice.sim.personas import Line
    from voice.sim.wer import errors
    from voice.tokens import media_stream_url

    warm_local_models()
    usage0 = (whisper.usage.cpu_s, whisper.usage.passes, whisper.usage.speculative, whisper.usage.speculative_used,
              whisper.usage.speculative_discarded)
    caller_audio_s = 0.0
    campaign = _campaign()
    remaining = list(utterances)
    edits = words = calls = false_barge_ins = 0
    end_of_turn: list[float] = []
    turn_count_mismatches = 0
    with LoopbackServer():
        while remaining and calls < max_calls:
            calls += 1
            lines = [Line(u.text, "at_start" if i == 0 else "after_agent", recording=u.name)
                     for i, u in enumerate(remaining)]
            name = f"bench-speech-{calls}"
            personas.PERSONAS[name] = personas.Persona(name, tuple(lines), linger_s=4.0)
            call = _call(campaign)
            log = CalleeLog()
            asyncio.run(run_callee(media_stream_url(call.pk), call.provider_sid, name, log=log, max_seconds=240))
            m = metrics.wait_for(call.pk, timeout=30)
            del personas.PERSONAS[name]
            spoken, remaining = remaining[: len(log.said)], remaining[len(log.said) :]
            caller_audio_s += sum(len(corpus.audio(u.name)) / 8000 for u in spoken)
            heard = list(Turn.objects.filter(call=call, speaker=Turn.Speaker.CALLER).order_by("index"))
            e, w = errors(" ".join(u.text for u in spoken), " ".join(t.text for t in heard))
            edits, words = edits + e, words + w
            turn_count_mismatches += abs(len(heard) - len(spoken))
            end_of_turn += [t.stt_ms for t in heard if t.stt_ms is not None]
            false_barge_ins += m.interruptions if m else 0
            print(f"call {calls}: {len(spoken)} lines, {len(heard)} caller turns, {e}/{w} word errors, "
                  f"interruptions {m.interruptions if m else '?'}", file=sys.stderr, flush=True)
            if m and m.interruptions:  # what was spoken over: the turns in order, agent heard/said
                for t in Turn.objects.filter(call=call).order_by("index"):
                    print(f"  {t.index} {t.speaker} {t.started_ms}-{t.ended_ms} interrupted={t.interrupted} "
                          f"{t.text[:60]!r} heard={t.heard_text[:40]!r}", file=sys.stderr, flush=True)
    u = whisper.usage
    cpu, passes, speculative, used, discarded = (
        now - then for now, then in zip(
            (u.cpu_s, u.passes, u.speculative, u.speculative_used, u.speculative_discarded), usage0, strict=True))
    session_stt = {"passes": passes, "speculative": speculative, "speculative_used": used,
                   "speculative_discarded": discarded, "caller_audio_s": round(caller_audio_s, 1),
                   "cpu_per_audio_s_upper_bound": round(cpu / max(0.1, caller_audio_s), 3)}
    return {"utterances": len(utterances) - len(remaining), "calls": calls, "wer": round(edits / max(1, words), 3),
            "end_of_turn_ms": {"p50": _percentile(end_of_turn, 50), "p95": _percentile(end_of_turn, 95)},
            "false_barge_ins": false_barge_ins, "turn_count_mismatches": turn_count_mismatches,
            "session_stt": session_stt}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="last line: the JSON figures only")
    parser.add_argument("--max-calls", type=int, default=20)
    args = parser.parse_args()
    _setup()
    from voice.providers import local_models
    from voice.sim import corpus

    missing = sorted({m for p in local_models.MODULES for m in local_models.missing_modules(p)})
    if missing or not corpus.debian_installed():
        sys.exit(f"bench.real_speech needs `make local-voice` and `{corpus.APT_HINT}` (missing: {missing or 'apt'})")
    utterances = corpus.utterances()
    load = os.getloadavg()
    ref = reference(utterances)
    result = conversations(utterances, args.max_calls)
    figures = {
        "utterances": result["utterances"],
        "wer": result["wer"],
        "end_of_turn_ms": result["end_of_turn_ms"],
        "false_barge_ins": result["false_barge_ins"],
        "stt_cpu_per_audio_s": ref["stt_cpu_per_audio_s"],
        "tts_first_audio_ms": {"p50": ref["tts_first_audio_ms"]["p50"]},
    }
    detail = {
        **result, "reference": ref,
        "end_of_turn_p50_over_whisper_pass_p50": round(
            result["end_of_turn_ms"]["p50"] / max(1.0, ref["whisper_pass_ms"]["p50"]), 2),
        "goals": GOALS, "loadavg_before": [round(x, 2) for x in load],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
    }
    print(json.dumps(detail), flush=True)
    print(json.dumps(figures) if args.json else json.dumps(figures, indent=2), flush=True)


if __name__ == "__main__":
    main()
