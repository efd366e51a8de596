"""Voice resilience: the faults of issue 11, end to end over the real media WebSocket.

    python -m bench.voice_resilience --json

Scenarios (each on fresh calls of a bench campaign, rehearsal vendors, simulated callees):
- amd_cross_process / hangup_cross_process: two real uvicorn processes (A hosts the media socket, B gets
  Twilio's signed AMD and status callbacks) on PostgreSQL and Redis: "delivered" when the session on A acted
  on it (voicemail message and outcome voicemail / the stream closed by us at once with outcome hung_up).
- token_replay_refused / wrong_callsid_refused: a second stream with the same URL while the first talks, and a
  start naming another callSid: refused with close 1008 before any agent audio.
- turns_lost_db_blip: every PostgreSQL connection of the voice process is terminated mid-call; caller lines
  said minus caller turns saved (and an apology counts as a lost call).
- no_speech_final_reply_ms: the STT sends finals but never speech_final nor UtteranceEnd (the rehearsal STT,
  patched in this process); the median time from the caller's last word to the agent's first audio frame.
- echo_self_interruptions: the callee's phone returns the agent's own audio 100 ms later at -10 dB; clears
  (barge-ins) the agent did while the callee itself never spoke over it.
- drain_outcomes_recorded: SIGTERM to a voice process with three live calls (VOICE_DRAIN_SECONDS=3): every
  call ended with an outcome recorded.
- unawaited_coroutines: "was never awaited" warnings in every voice process's log and in this process.

The last line is one JSON object with those keys. Cross-process, blip and drain scenarios need DATABASE_URL
(PostgreSQL) and REDIS_URL; without them they report "skipped".
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import os
import statistics
import threading
import time
import warnings

import django

from bench import production_settings
from bench.voice_callees import bench_calls, media_ended, media_url, talk
from bench.voice_echo import echo

ENV = {
    "TELEPHONY": "sim", "VOICE_STT": "rehearsal", "VOICE_LLM": "rehearsal", "VOICE_TTS": "rehearsal",
    "REHEARSAL_TTS_ENGINE": "synth", "CELERY_TASK_ALWAYS_EAGER": "1", "PYTHONWARNINGS": "always::RuntimeWarning",
}  # fmt: skip
logs: list[str] = []  # every voice process's log, for the unawaited-coroutine count


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    production_settings()
    django.setup()


def _params(call, **extra: str) -> dict[str, str]:
    from voice.media import expected_account_sid

    return {"AccountSid": expected_account_sid(), "CallSid": call.provider_sid, "Direction": "outbound-api", **extra}


def _needs_pg_redis() -> str:
    from django.conf import settings

    if not settings.REDIS_URL or "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        return "skipped (needs PostgreSQL and Redis)"
    return ""


# --- cross-process events ------------------------------------------------------------------------------------


def cross_process() -> tuple[str, str, dict]:
    from voice.loopback_process import VoiceProcess, post_signed_callback, wait_until
    from voice.sim.callee import CalleeLog

    skip = _needs_pg_redis()
    if skip:
        return skip, skip, {}
    amd_call, hangup_call = bench_calls(1, answered_by="")[0], bench_calls(1)[0]
    detail: dict = {}
    with VoiceProcess(ENV, name="a") as a, VoiceProcess(ENV, name="b") as b:
        log = CalleeLog()
        thread = talk(media_url(a.port, amd_call), amd_call, "voicemail", log)
        wait_until(lambda: log.said, 15)
        detail["amd_http"] = post_signed_callback(b.base_url, f"/telephony/twilio/amd/{amd_call.pk}/",
                                                  _params(amd_call, AnsweredBy="machine_end_beep"))  # fmt: skip
        media_ended(amd_call, 40)
        thread.join(10)
        amd_call.refresh_from_db()
        last = amd_call.turns.filter(speaker="agent").order_by("-index").first()
        message = amd_call.script_version.voicemail_message
        amd_ok = amd_call.outcome == "voicemail" and last is not None and last.text == message
        detail["amd_outcome"] = amd_call.outcome

        log = CalleeLog()
        thread = talk(media_url(a.port, hangup_call), hangup_call, "books_meeting", log)
        wait_until(lambda: log.agent_frames > 0, 15)
        posted = time.monotonic()
        detail["hangup_http"] = post_signed_callback(b.base_url, f"/telephony/twilio/status/{hangup_call.pk}/",
                                                     _params(hangup_call, CallStatus="completed", CallDuration="3"))
        ended_in = media_ended(hangup_call, 10) and time.monotonic() - posted
        thread.join(10)
        hangup_call.refresh_from_db()
        hangup_ok = bool(ended_in) and hangup_call.outcome == "hung_up" and log.hung_up_by == "agent"
        detail.update(hangup_outcome=hangup_call.outcome, hangup_ended_s=round(ended_in or -1, 2))
        logs.extend([a.log_text(), b.log_text()])
    return ("delivered" if amd_ok else "not_delivered"), ("delivered" if hangup_ok else "not_delivered"), detail


# --- media tokens ------------------------------------------------------------------------------------------------


def tokens(port: int) -> tuple[bool, bool, dict]:
    from tests.voice.media_client import open_stream
    from voice.loopback_process import wait_until
    from voice.sim.callee import CalleeLog

    first_call, other_call = bench_calls(2)
    log = CalleeLog()
    thread = talk(media_url(port, first_call), first_call, "books_meeting", log, max_seconds=8)
    wait_until(lambda: log.agent_frames > 0, 15)
    replay = asyncio.run(open_stream(media_url(port, first_call), first_call.provider_sid, seconds=2))
    wrong = asyncio.run(open_stream(media_url(port, other_call), "CA" + "0" * 32, seconds=2))
    thread.join(20)
    other_call.refresh_from_db()
    replay_ok = replay.close_code == 1008 and replay.agent_frames == 0
    wrong_ok = wrong.close_code == 1008 and wrong.agent_frames == 0 and other_call.media_started_at is None
    return replay_ok, wrong_ok, {"replay": dataclasses.asdict(replay), "wrong_callsid": dataclasses.asdict(wrong)}


# --- DB blip -----------------------------------------------------------------------------------------------------


def _kill_backends(spare: int) -> int:
    """pg_terminate_backend on every connection to this database but `spare`, from a thread of its own."""
    killed: list[int] = []

    def kill() -> None:
        from django.db import connection

        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND pid <> %s",
                    [spare],
                )
                killed.append(cursor.rowcount)
        finally:
            connection.close()

    thread = threading.Thread(target=kill)
    thread.start()
    thread.join(10)
    return killed[0] if killed else 0


def db_blip() -> tuple[int | str, dict]:
    from django.db import connection

    from crm.models import Turn
    from voice.loopback_process import VoiceProcess, wait_until
    from voice.sim.callee import CalleeLog

    skip = _needs_pg_redis()
    if skip:
        return skip, {}
    call = bench_calls(1)[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        mine = cursor.fetchone()[0]
    log = CalleeLog()
    with VoiceProcess(ENV, name="blip") as voice:
        thread = talk(media_url(voice.port, call), call, "books_meeting", log)
        wait_until(lambda: Turn.objects.filter(call=call, speaker="caller").exists(), 20)
        killed = _kill_backends(mine)
        thread.join(70)
        media_ended(call, 20)
        logs.append(voice.log_text())
    call.refresh_from_db()
    saved = list(call.turns.filter(speaker="caller").order_by("index").values_list("text", flat=True))
    agent = " ".join(call.turns.filter(speaker="agent").values_list("text", flat=True))
    lost = len([line for line in log.said if line not in saved])
    lost += int(call.outcome == "failed" or "technical problem" in agent)
    return lost, {"backends_killed": killed, "said": len(log.said), "saved": len(saved), "outcome": call.outcome}


# --- in-process scenarios: STT without speech_final, an echoing phone (bench/voice_echo.py) ---------------------------


def no_speech_final(port: int) -> tuple[float, dict]:
    """Patch the rehearsal STT of this (voice) process: finals never marked speech_final, no UtteranceEnd."""
    from voice import metrics
    from voice.providers.base import UtteranceEnd
    from voice.sim import stt
    from voice.sim.callee import CalleeLog

    original_transcript, original_events = stt.RehearsalSTTStream._transcript, stt.RehearsalSTTStream.events

    def transcript(self, c, n, final):
        return dataclasses.replace(original_transcript(self, c, n, final), speech_final=False)

    async def events(self):
        async for event in original_events(self):
            if not isinstance(event, UtteranceEnd):
                yield event

    call = bench_calls(1)[0]
    log = CalleeLog()
    stt.RehearsalSTTStream._transcript, stt.RehearsalSTTStream.events = transcript, events
    try:
        talk(media_url(port, call), call, "books_meeting", log, max_seconds=40).join(60)
        m = metrics.wait_for(call.pk, 30)
    finally:
        stt.RehearsalSTTStream._transcript, stt.RehearsalSTTStream.events = original_transcript, original_events
    replies = log.v2v_ms
    value = round(statistics.median(replies), 1) if replies else 40_000.0
    return value, {"replies": len(replies), "worst_ms": round(max(replies), 1) if replies else None,
                   "lines_said": len(log.said), "outcome": m.outcome if m else None}  # fmt: skip


# --- drain on SIGTERM --------------------------------------------------------------------------------------------


def drain() -> tuple[bool | str, dict]:
    from crm.models import Call
    from voice.loopback_process import VoiceProcess, wait_until
    from voice.sim.callee import CalleeLog

    skip = _needs_pg_redis()
    if skip:
        return skip, {}
    calls = bench_calls(3)
    callee_logs = [CalleeLog() for _ in calls]
    with VoiceProcess({**ENV, "VOICE_DRAIN_SECONDS": "3"}, name="drain") as voice:
        threads = [
            talk(media_url(voice.port, c), c, "books_meeting", lg) for c, lg in zip(calls, callee_logs, strict=True)
        ]
        wait_until(lambda: all(lg.agent_frames > 0 for lg in callee_logs), 20)
        voice.terminate()
        exit_code = voice.wait(40)
        for thread in threads:
            thread.join(10)
        logs.append(voice.log_text())
    rows = list(Call.objects.filter(pk__in=[c.pk for c in calls]).values_list("outcome", "media_ended_at"))
    recorded = all(outcome and ended for outcome, ended in rows)
    return recorded, {"exit_code": exit_code, "outcomes": [o for o, _ in rows]}


def unawaited(caught: list[warnings.WarningMessage]) -> int:
    gc.collect()
    here = sum("was never awaited" in str(w.message) for w in caught)
    return here + sum(text.count("was never awaited") for text in logs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="last line: the JSON figures only")
    parser.add_argument("--only", default="", help="comma-separated: cross,tokens,nsf,echo,blip,drain")
    parser.add_argument("--echo-db", type=float, default=-10.0, help="echo level in dB (the issue's case: -10)")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))

    def wanted(name: str) -> bool:
        return not only or name in only

    echo_gain = 10 ** (args.echo_db / 20)
    _setup()
    import logging

    for name in ("", "celery", "voice"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from config.celery import app

    app.conf.task_always_eager = True
    settings.REHEARSAL_TTS_ENGINE = "synth"
    settings.TELEPHONY = "sim"
    from voice.loopback import LoopbackServer

    detail: dict = {}
    skipped = "not run (--only)"
    amd = hangup = replay = wrong = lost = reply_ms = self_interruptions = drained = skipped
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        if wanted("cross"):
            amd, hangup, detail["cross_process"] = cross_process()
        with LoopbackServer() as server:
            port = int(server.base_url.rsplit(":", 1)[1])
            if wanted("tokens"):
                replay, wrong, detail["tokens"] = tokens(port)
            if wanted("nsf"):
                reply_ms, detail["no_speech_final"] = no_speech_final(port)
            if wanted("echo"):
                self_interruptions, detail["echo"] = echo(port, echo_gain)
        if wanted("blip"):
            lost, detail["db_blip"] = db_blip()
        if wanted("drain"):
            drained, detail["drain"] = drain()
        stray = unawaited(caught)
    result = {
        "amd_cross_process": amd,
        "hangup_cross_process": hangup,
        "token_replay_refused": replay,
        "wrong_callsid_refused": wrong,
        "turns_lost_db_blip": lost,
        "no_speech_final_reply_ms": reply_ms,
        "echo_self_interruptions": self_interruptions,
        "drain_outcomes_recorded": drained,
        "unawaited_coroutines": stray,
    }
    print(json.dumps(detail, default=str), flush=True)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
