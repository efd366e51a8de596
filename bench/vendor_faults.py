"""Vendor faults: how fast each injected fault ends its call, through the real SDKs and the vendor emulators.

    python -m bench.vendor_faults --json

For each vendor (Deepgram, OpenAI, Cartesia) every fault the emulators inject (429 and 503 on connect, never
answers, closes mid-stream, malformed message) breaks one call, while one healthy call talks beside them in
the same voice process (uvicorn on loopback, CallSessions with the vendor adapters, simulated callees over the
real media WebSocket). A Deepgram drop is survived by one reconnect, so its fault here is a drop twice.

Figures per fault:
- detect_ms: the emulator injects the fault -> the session decides to end the call (its apology starts);
- ended_ms: the emulator injects the fault -> the callee's line is closed (apology played, call hung up).
The goal is detect_ms <= 3000 for every fault, every faulty call ending `failed` with the apology, every healthy
call reaching its normal outcome. The last line is JSON.

    python -m bench.vendor_faults --failover --json

The same 15 faults with a second vendor listed for the failing layer (VOICE_STT=deepgram,assemblyai,
VOICE_LLM=openai,anthropic, VOICE_TTS=cartesia,elevenlabs; each second vendor on its own emulator, the cool-down
off so every call meets its fault mid-call; the STT faults one call at a time, since AssemblyAI's protocol names no
call for its emulator to hear). Each faulty call must go on as the healthy one does: no apology,
outcome opt_out. switch_ms = the emulator injects the fault -> the second provider's first output reaches the call
(LLM text, TTS audio, STT transcript), from the switch recorded on the call; beside it the part after the switch
decision (served_ms: the second provider's own start, the reference the first part is measured against). Goals:
continued = faults, apologies = 0, switch p50 <= 1000 ms. The last line is JSON
{"faults", "continued", "apologies", "switch_ms": {"p50", "max"}, ...}.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import tempfile
import time

import django

from bench import production_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
production_settings()

KINDS = ("reject_429", "reject_503", "never_answer", "close_mid_stream", "malformed")
_APOLOGY = re.compile(r"call (\d+): .*apologising")


class Decisions(logging.Handler):
    """When each session decided to apologise and hang up (from its own log line)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.at: dict[int, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        found = _APOLOGY.match(record.getMessage())
        if found:
            self.at.setdefault(int(found.group(1)), time.monotonic())


def fault_call(entry: dict, vendor: str) -> int | None:
    """The call an emulator's fault entry belongs to, from what the adapter sent (tag, user or context id)."""
    texts = [*entry.get("tags", ()), str(entry.get("user") or ""), str(entry.get("context_id") or "")]
    for text in texts:
        found = re.match(r"(?:parley-call-|call)(\d+)", text)
        if found:
            return int(found.group(1))
    return None


async def run_vendor(vendor: str, emulators: dict, decisions: Decisions, failover: bool = False) -> list[dict]:
    from asgiref.sync import sync_to_async

    from tests.providers.calls import converse, dialed_call
    from voice.session import APOLOGY

    deepgram, openai, cartesia = emulators["deepgram"], emulators["openai"], emulators["cartesia"]
    healthy = await sync_to_async(dialed_call)(persona="opt_out")
    faulty = {kind: await sync_to_async(dialed_call)(persona="opt_out") for kind in KINDS}
    ended: dict[int, float] = {}
    injected: dict[int, float] = {}

    async def talk(live) -> None:
        await converse(live, "opt_out")
        ended[live.call.pk] = time.monotonic()

    tasks = [asyncio.create_task(talk(healthy))]
    if vendor == "cartesia":  # a refused handshake names no call: those calls go one at a time
        for kind in KINDS:
            if kind.startswith("reject"):
                continue
            prefix = faulty[kind].context_prefix
            cartesia.faults.arm(kind, match=lambda info, p=prefix: info["context_id"].startswith(p), after=2)
        tasks += [asyncio.create_task(talk(faulty[k])) for k in KINDS if not k.startswith("reject")]
        await asyncio.gather(*tasks[1:])
        for kind in ("reject_429", "reject_503"):
            cartesia.faults.arm(kind, times=2)
            mark = len(cartesia.recorder.entries)
            await talk(faulty[kind])
            first = next(e for e in cartesia.recorder.entries[mark:] if e.kind == "fault")
            injected[faulty[kind].call.pk] = first.at
    else:
        for kind, live in faulty.items():
            if vendor == "deepgram":
                tag = f"parley-call-{live.call.pk}"
                deepgram.faults.arm(kind, match=lambda info, t=tag: t in info["tags"], after=60,
                                    times=2 if kind == "close_mid_stream" else 1)
            else:
                openai.faults.arm(kind, match=lambda info, u=live.user: info["body"].get("user") == u, after=2,
                                  times=10)
        if failover and vendor == "deepgram":
            # AssemblyAI's protocol names no call, so its emulator hears one call's captions: one faulty call at a time
            from tests.emulators.rehearsal import callee_captions

            for live in faulty.values():
                emulators["second"].caption_source = lambda session, sid=live.sid: callee_captions(sid)
                await talk(live)
        else:
            tasks += [asyncio.create_task(talk(live)) for live in faulty.values()]
    await asyncio.gather(*tasks)

    recorder = emulators[vendor].recorder
    for entry in recorder.entries:
        if entry.kind == "fault":
            call_id = fault_call(entry.data, vendor)
            if call_id is not None:
                injected.setdefault(call_id, entry.at)
    rows = []
    for kind, live in faulty.items():
        call = await sync_to_async(live.refresh)()
        said = await sync_to_async(lambda c=call: list(c.turns.filter(speaker="agent").values_list("text", flat=True)
                                                       .order_by("index")))()
        start = injected.get(call.pk)
        row = {
            "vendor": vendor, "fault": kind, "outcome": call.outcome,
            "apology": APOLOGY in said,
            "detect_ms": round((decisions.at[call.pk] - start) * 1000) if start and call.pk in decisions.at else None,
            "ended_ms": round((ended[call.pk] - start) * 1000) if start else None,
        }
        if failover:
            switch = next(iter(live.metrics.switches if live.metrics else ()), None)
            row["switch"] = f"{switch['layer']} {switch['from']} -> {switch['to']}" if switch else "none"
            row["served_ms"] = switch["served_ms"] if switch else None
            row["switch_ms"] = (round((switch["t"] - start) * 1000) + switch["served_ms"]
                                if switch and start and switch["served_ms"] is not None else None)
        rows.append(row)
    healthy_call = await sync_to_async(healthy.refresh)()
    for row in rows:
        row["healthy_outcome"] = healthy_call.outcome
    return rows


SECOND = {  # the failing layer's provider list in --failover runs: the second is another vendor
    "deepgram": ("VOICE_STT", "deepgram,assemblyai"),
    "openai": ("VOICE_LLM", "openai,anthropic"),
    "cartesia": ("VOICE_TTS", "cartesia,elevenlabs"),
}


async def start_second(vendor: str) -> tuple[object, dict[str, str]]:
    """The second provider's emulator for `vendor`'s layer and the settings that point at it."""
    from tests.emulators.rehearsal import scripted_claude_reply
    from tests.emulators.run_all import KEY

    if vendor == "deepgram":
        from tests.emulators.assemblyai import AssemblyAIEmulator

        emulator = await AssemblyAIEmulator(api_key=KEY).start()  # hears the call run_vendor names (caption_source)
        return emulator, {"ASSEMBLYAI_API_KEY": KEY, "ASSEMBLYAI_BASE_URL": emulator.url}
    if vendor == "openai":
        from tests.emulators.anthropic_messages import AnthropicEmulator

        emulator = await AnthropicEmulator(api_key=KEY, responder=scripted_claude_reply, first_token_delay=0.3).start()
        return emulator, {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": emulator.url}
    from tests.emulators.elevenlabs import ElevenLabsEmulator

    emulator = await ElevenLabsEmulator(api_key=KEY, first_byte_delay=0.09).start()
    return emulator, {"ELEVENLABS_API_KEY": KEY, "ELEVENLABS_BASE_URL": emulator.url}


async def run_all_vendors(vendors: list[str], decisions: Decisions, failover: bool = False) -> list[dict]:
    from django.conf import settings

    from tests.emulators.cartesia import CartesiaEmulator
    from tests.emulators.deepgram import DeepgramEmulator
    from tests.emulators.openai_chat import OpenAIEmulator
    from tests.emulators.rehearsal import callee_captions, scripted_reply
    from tests.emulators.run_all import settings_for
    from voice.loopback import LoopbackServer
    from voice.providers import factory, health

    rows: list[dict] = []
    for vendor in vendors:  # fresh emulators per vendor, so faults and records never mix
        emulators = {
            "deepgram": await DeepgramEmulator(captions=callee_captions, keep_audio=False).start(),
            "openai": await OpenAIEmulator(responder=scripted_reply, first_token_delay=0.3).start(),
            "cartesia": await CartesiaEmulator(first_byte_delay=0.09).start(),
        }
        for name, value in settings_for(emulators["deepgram"], emulators["openai"], emulators["cartesia"]).items():
            setattr(settings, name, value)
        if failover:
            from tests.providers import backups

            backups.register()
            emulators["second"], extra = await start_second(vendor)
            setting, listed = SECOND[vendor]
            for name, value in {**extra, setting: listed, "VOICE_PROVIDER_COOLDOWN_S": 0}.items():
                setattr(settings, name, value)
            health.reset()
        factory.preload_providers()  # as the server's start-up does: no SDK import inside a call
        try:
            with LoopbackServer():
                rows += await run_vendor(vendor, emulators, decisions, failover)
        finally:
            for emulator in emulators.values():
                await emulator.stop()
    return rows


def percentiles(values: list[int]) -> dict[str, int]:
    ordered = sorted(values)
    return {"p50": ordered[len(ordered) // 2], "max": ordered[-1]} if ordered else {"p50": 0, "max": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vendors", default="deepgram,openai,cartesia")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--failover", action="store_true",
                        help="a second provider for the failing layer: each call must go on, no apology")
    args = parser.parse_args()

    django.setup()
    from django.db import connection
    from django.test.utils import override_settings, setup_test_environment

    from config.celery import app

    logging.getLogger("voice").setLevel(logging.WARNING)
    logging.getLogger("websockets").setLevel(logging.WARNING)
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    decisions = Decisions()
    logging.getLogger("voice.session").addHandler(decisions)
    setup_test_environment()
    app.conf.task_always_eager = True
    real_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    try:
        with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
            rows = asyncio.run(run_all_vendors(args.vendors.split(","), decisions, args.failover))
    finally:
        if connection.vendor == "postgresql":  # the voice server's threads left their sessions open
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        connection.creation.destroy_test_db(real_name, verbosity=0)

    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    if args.failover:
        report_failover(rows, args.json)
        return
    for row in rows:
        print(f"{row['vendor']:9} {row['fault']:17} outcome {row['outcome']:7} apology {row['apology']!s:5} "
              f"detect {row['detect_ms']} ms, ended {row['ended_ms']} ms; healthy call: {row['healthy_outcome']}")
    detect = [r["detect_ms"] for r in rows if r["detect_ms"] is not None]
    ended = [r["ended_ms"] for r in rows if r["ended_ms"] is not None]
    result = {
        "faults": len(rows),
        "graceful": sum(r["outcome"] == "failed" and r["apology"] for r in rows),
        "healthy_ok": sum(r["healthy_outcome"] == "opt_out" for r in rows),
        "detect_ms": percentiles(detect),
        "ended_ms": percentiles(ended),
        "measured": len(detect),
    }
    print(json.dumps(result) if args.json else result)


def report_failover(rows: list[dict], as_json: bool) -> None:
    for row in rows:
        print(f"{row['vendor']:9} {row['fault']:17} outcome {row['outcome']:7} apology {row['apology']!s:5} "
              f"switch {row['switch']}: {row['switch_ms']} ms from the fault ({row['served_ms']} ms after the "
              f"decision); healthy call: {row['healthy_outcome']}")
    switch = [r["switch_ms"] for r in rows if r["switch_ms"] is not None]
    served = [r["served_ms"] for r in rows if r["served_ms"] is not None]
    result = {
        "faults": len(rows),
        "continued": sum(r["outcome"] == r["healthy_outcome"] == "opt_out" and not r["apology"] for r in rows),
        "apologies": sum(r["apology"] for r in rows),
        "switch_ms": percentiles(switch),
        "served_ms": percentiles(served),
        "measured": len(switch),
        "healthy_ok": sum(r["healthy_outcome"] == "opt_out" for r in rows),
    }
    print(json.dumps(result) if as_json else result)


if __name__ == "__main__":
    main()
