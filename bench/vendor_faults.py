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


async def run_vendor(vendor: str, emulators: dict, decisions: Decisions) -> list[dict]:
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
        rows.append({
            "vendor": vendor, "fault": kind, "outcome": call.outcome,
            "apology": bool(said) and said[-1] == APOLOGY,
            "detect_ms": round((decisions.at[call.pk] - start) * 1000) if start and call.pk in decisions.at else None,
            "ended_ms": round((ended[call.pk] - start) * 1000) if start else None,
        })
    healthy_call = await sync_to_async(healthy.refresh)()
    for row in rows:
        row["healthy_outcome"] = healthy_call.outcome
    return rows


async def run_all_vendors(vendors: list[str], decisions: Decisions) -> list[dict]:
    from django.conf import settings

    from tests.emulators.cartesia import CartesiaEmulator
    from tests.emulators.deepgram import DeepgramEmulator
    from tests.emulators.openai_chat import OpenAIEmulator
    from tests.emulators.rehearsal import callee_captions, scripted_reply
    from tests.emulators.run_all import settings_for
    from voice.loopback import LoopbackServer

    rows: list[dict] = []
    for vendor in vendors:  # fresh emulators per vendor, so faults and records never mix
        emulators = {
            "deepgram": await DeepgramEmulator(captions=callee_captions, keep_audio=False).start(),
            "openai": await OpenAIEmulator(responder=scripted_reply, first_token_delay=0.3).start(),
            "cartesia": await CartesiaEmulator(first_byte_delay=0.09).start(),
        }
        for name, value in settings_for(emulators["deepgram"], emulators["openai"], emulators["cartesia"]).items():
            setattr(settings, name, value)
        try:
            with LoopbackServer():
                rows += await run_vendor(vendor, emulators, decisions)
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
            rows = asyncio.run(run_all_vendors(args.vendors.split(","), decisions))
    finally:
        if connection.vendor == "postgresql":  # the voice server's threads left their sessions open
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        connection.creation.destroy_test_db(real_name, verbosity=0)

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


if __name__ == "__main__":
    main()
