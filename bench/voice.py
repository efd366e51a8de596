"""Voice benchmark: N concurrent rehearsal calls in one voice process, over the real media WebSocket.

    python -m bench.voice --calls 100 --json
    python -m bench.voice --capacity 100,150,200      # how many calls before outbound jitter p99 passes 20 ms

The voice process is this one: uvicorn (uvloop) serving `config.asgi:application` on 127.0.0.1, each call a
CallSession with the rehearsal providers, whose vendor latencies are emulated at the seed's figures (STT final
150 ms after speech end, LLM first token 300 ms, TTS first byte 90 ms; see voice/sim/latency.py). The callees
(persona "bench": answers, talks over the agent once, qualifies, books) run in a separate process when
REDIS_URL is set (their words reach the rehearsal STT through Redis), else on a thread of this process.

Figures (the last line is JSON):
- v2v_ms: callee's last speech frame sent -> first agent audio frame received (callee clock, loopback).
- overhead_ms: the pipeline's own time on each reply's critical path (v2v minus time spent waiting on the
  emulated vendors): trigger -> LLM call, sentence ready -> TTS push, first audio/confirmation -> frame sent.
- clear_ms: barge-in decision -> `clear` sent.
- jitter_ms: lateness of each outbound 20 ms frame against its slot on the pacing grid.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import threading
import time

import django

PERSONA = "bench"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()


# --- callees -------------------------------------------------------------------------------------------


async def _run_callees(calls: list[list[str]], persona: str, stagger: float) -> dict:
    from voice.sim.callee import CalleeLog, run_callee

    logs = [CalleeLog() for _ in calls]

    async def one(i: int, url: str, sid: str) -> None:
        await asyncio.sleep(stagger * i / max(1, len(calls)))
        await run_callee(url, sid, persona, log=logs[i], max_seconds=180)

    await asyncio.gather(*(one(i, url, sid) for i, (url, sid) in enumerate(calls)))
    return {
        "v2v_ms": [v for log in logs for v in log.v2v_ms],
        "clears": sum(log.clears for log in logs),
        "refused": sum(log.refused for log in logs),
    }


def callee_worker() -> None:
    """Subprocess entry: read the calls as JSON on stdin, talk, print the callees' figures as JSON."""
    _setup()
    job = json.load(sys.stdin)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    print(json.dumps(asyncio.run(_run_callees(job["calls"], job["persona"], job["stagger"]))))


def _callees_elsewhere(calls: list[list[str]], persona: str, stagger: float) -> dict:
    job = json.dumps({"calls": calls, "persona": persona, "stagger": stagger})
    proc = subprocess.run(
        [sys.executable, "-m", "bench.voice", "--callee-worker"],
        input=job,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _callees_on_a_thread(calls: list[list[str]], persona: str, stagger: float) -> dict:
    result: dict = {}

    def run() -> None:
        result.update(asyncio.run(_run_callees(calls, persona, stagger)))

    thread = threading.Thread(target=run, name="bench-callees")
    thread.start()
    thread.join()
    return result


# --- the world -----------------------------------------------------------------------------------------


def _world(n: int) -> list:
    import datetime as dt
    import uuid

    from django.contrib.auth.models import User
    from django.utils import timezone

    from campaigns.demo import SCRIPT
    from campaigns.models import Campaign, CampaignLead, Script
    from campaigns.scripts import save_new_version
    from crm.models import Availability, Call, Lead, Rep

    run = uuid.uuid4().hex[:8]
    script = Script.objects.create(name="Bench script", slug=f"bench-voice-{run}")
    save_new_version(script, publish=True, **SCRIPT)
    campaign = Campaign.objects.create(
        name="Bench voice", slug=f"bench-voice-{run}", script=script, caller_id="+14155550100",
        status=Campaign.Status.RUNNING, max_concurrency=10_000, calls_per_second=1000,
    )  # fmt: skip
    for r in range(10):
        user = User.objects.create(username=f"bench-{run}-{r}", first_name="Rep", last_name=f"{r}")
        rep = Rep.objects.create(user=user, timezone="UTC")
        Availability.objects.bulk_create(
            Availability(rep=rep, weekday=d, start=dt.time(0), end=dt.time(23, 30)) for d in range(7)
        )
        campaign.reps.add(rep)
    base = random.randrange(10**6, 9 * 10**6)
    leads = Lead.objects.bulk_create(
        Lead(phone=f"+1555{(base + i) % 10**7:07d}", first_name="Pat", last_name=f"Bench{i}", timezone="UTC")
        for i in range(n)
    )
    entries = CampaignLead.objects.bulk_create(
        CampaignLead(campaign=campaign, lead=lead, state=CampaignLead.State.CLAIMED, attempts=1) for lead in leads
    )
    version = campaign.active_script_version
    now = timezone.now()
    return Call.objects.bulk_create(
        Call(
            campaign=campaign, campaign_lead=e, lead=e.lead, script_version=version, status=Call.Status.IN_PROGRESS,
            provider_sid="CA" + uuid.uuid4().hex, answered_by="human", placed_at=now,
        )
        for e in entries
    )  # fmt: skip


def run(n: int, stagger: float, persona: str) -> dict:
    from django.conf import settings

    from voice import metrics
    from voice.loopback import LoopbackServer
    from voice.tokens import media_stream_url

    calls = _world(n)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    with LoopbackServer():
        jobs = [[media_stream_url(c.pk), c.provider_sid] for c in calls]
        elsewhere = bool(settings.REDIS_URL)
        callees = (_callees_elsewhere if elsewhere else _callees_on_a_thread)(jobs, persona, stagger)
        per_call = [metrics.wait_for(c.pk, timeout=60) for c in calls]
    wall = time.monotonic() - started
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    done = [m for m in per_call if m is not None]
    jitter = metrics.Histogram()
    for m in done:
        jitter.merge(m.jitter)
    overhead = [o for m in done for o in m.overhead_ms]
    clear = [c for m in done for c in m.clear_ms]
    session_v2v = [v for m in done for v in m.v2v_ms]
    p = metrics.percentile
    detail = {
        "callees": "separate process" if elsewhere else "thread of the voice process",
        "sessions_finished": len(done),
        "refused": callees["refused"],
        "wall_s": round(wall, 1),
        "voice_process_cpu_s": round(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 1),
        "replies": len(callees["v2v_ms"]),
        "session_v2v_ms": {"p50": round(p(session_v2v, 50), 1), "p95": round(p(session_v2v, 95), 1)},
        "barge_ins": len(clear),
        "frames_out": sum(m.frames_out for m in done),
        "speculation_hits": f"{sum(m.speculation_hits for m in done)}/{sum(m.speculations for m in done)}",
        "errors": sorted({m.error for m in done if m.error}),
    }
    result = {
        "calls": n,
        "v2v_ms": {"p50": round(p(callees["v2v_ms"], 50), 1), "p95": round(p(callees["v2v_ms"], 95), 1)},
        "overhead_ms": {"p50": round(p(overhead, 50), 2), "p95": round(p(overhead, 95), 2)},
        "clear_ms": {"p50": round(p(clear, 50), 2), "p95": round(p(clear, 95), 2)},
        "jitter_ms": {"p50": round(jitter.percentile(50), 2), "p99": round(jitter.percentile(99), 2)},
    }
    return {"result": result, "detail": detail}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--json", action="store_true", help="last line: the JSON figures only")
    parser.add_argument("--stagger", type=float, default=5.0, help="seconds over which calls connect")
    parser.add_argument("--persona", default=PERSONA)
    parser.add_argument("--capacity", default="", help="comma-separated call counts to step through")
    parser.add_argument("--callee-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.callee_worker:
        callee_worker()
        return
    _setup()
    import logging

    for name in ("", "celery", "voice"):
        logging.getLogger(name).setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from config.celery import app

    app.conf.task_always_eager = True  # finalize_call inline: the benchmark measures the voice process
    from django.conf import settings

    settings.REHEARSAL_TTS_ENGINE = "synth"  # emulated TTS timing exactly, no espeak-ng processes
    if args.capacity:
        for n in [int(x) for x in args.capacity.split(",")]:
            out = run(n, args.stagger, args.persona)
            j = out["result"]["jitter_ms"]["p99"]
            print(json.dumps({"calls": n, "jitter_p99_ms": j, **out["detail"], **out["result"]}), flush=True)
            if j > 20:
                break
        return
    out = run(args.calls, args.stagger, args.persona)
    print(json.dumps(out["detail"]), flush=True)
    print(json.dumps(out["result"]) if args.json else json.dumps(out["result"], indent=2))


if __name__ == "__main__":
    main()
