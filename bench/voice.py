"""Voice benchmark: N concurrent rehearsal calls in one voice process, over the real media WebSocket.

    python -m bench.voice --calls 100 --json
    python -m bench.voice --capacity 100,150,200      # how many calls before outbound jitter p99 passes 20 ms

In the same invocation and at the same call count, a bare ASGI handler that only echoes the callees' Twilio
frames back (`echo_app`: decode each message, send each media payload back) serves the same callees for the same
call length; `cpu_ratio_vs_echo` is the voice process's CPU per call-second over the echo's. Then a short
capacity search (`--search`, calls of `--search-seconds`) reports `calls_per_process_at_20ms`: the most calls
one process held with outbound jitter p99 <= 20 ms (0 when even the first step passed it).

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

from bench import production_settings

PERSONA = "bench"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    production_settings()
    django.setup()


# --- callees -------------------------------------------------------------------------------------------


async def _run_callees(calls: list[list[str]], persona: str, stagger: float, max_seconds: float = 180) -> dict:
    from voice.sim.callee import CalleeLog, run_callee

    logs = [CalleeLog() for _ in calls]

    async def one(i: int, url: str, sid: str) -> None:
        await asyncio.sleep(stagger * i / max(1, len(calls)))
        await run_callee(url, sid, persona, log=logs[i], max_seconds=max_seconds)

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
    figures = asyncio.run(_run_callees(job["calls"], job["persona"], job["stagger"], job.get("max_seconds", 180)))
    print(json.dumps(figures))


def _callees_elsewhere(calls: list[list[str]], persona: str, stagger: float, max_seconds: float = 180) -> dict:
    job = json.dumps({"calls": calls, "persona": persona, "stagger": stagger, "max_seconds": max_seconds})
    proc = subprocess.run(
        [sys.executable, "-m", "bench.voice", "--callee-worker"],
        input=job,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _callees_on_a_thread(calls: list[list[str]], persona: str, stagger: float, max_seconds: float = 180) -> dict:
    result: dict = {}

    def run() -> None:
        result.update(asyncio.run(_run_callees(calls, persona, stagger, max_seconds)))

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


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the baseline: a bare ASGI handler that only echoes the Twilio frames -------------------------------------


async def echo_app(scope, receive, send) -> None:
    """The least a media WebSocket server can do: accept, decode each Twilio message, send each media payload
    back as an outbound media message. No session, no STT/LLM/TTS, no pacing."""
    from voice import media_streams as ms

    if scope["type"] != "websocket":
        return
    if (await receive())["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    stream_sid = ""
    while True:
        message = await receive()
        if message["type"] != "websocket.receive":
            if message["type"] == "websocket.disconnect":
                return
            continue
        try:
            event = ms.decode(message.get("text") or message.get("bytes") or b"")
        except ms.MalformedFrame:
            continue
        if type(event) is ms.Media:
            await send({"type": "websocket.send", "text": ms.media_message(stream_sid, event.payload)})
        elif type(event) is ms.Start:
            stream_sid = event.stream_sid
        elif type(event) is ms.Stop:
            await send({"type": "websocket.close", "code": 1000})
            return


class _EchoServer:
    """uvicorn serving `echo_app` on 127.0.0.1 in a thread of this process, configured as the voice server is."""

    def __init__(self) -> None:
        import uvicorn

        config = uvicorn.Config(echo_app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                                ws="websockets-sansio", ws_per_message_deflate=False, access_log=False)  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="bench-echo", daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the echo server did not start")
            time.sleep(0.01)
        return f"ws://127.0.0.1:{self.server.servers[0].sockets[0].getsockname()[1]}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def run_echo(n: int, stagger: float, persona: str, seconds: float) -> dict:
    """The same callees (count, stagger, persona) against `echo_app` for `seconds` each: its CPU and call-seconds."""
    from django.conf import settings

    cpu0 = _cpu_s()
    with _EchoServer() as base:
        jobs = [[f"{base}/media/echo-{i}", f"CAecho{i}"] for i in range(n)]
        elsewhere = bool(settings.REDIS_URL)
        callees = (_callees_elsewhere if elsewhere else _callees_on_a_thread)(jobs, persona, stagger, seconds)
    cpu = _cpu_s() - cpu0
    return {"cpu_s": cpu, "call_s": n * seconds, "refused": callees["refused"]}


def capacity_search(steps: list[int], stagger: float, persona: str, seconds: float) -> tuple[int, list[dict]]:
    """Step through call counts (calls of `seconds` each) until jitter p99 passes 20 ms: the last count that held."""
    held, tried = 0, []
    for n in steps:
        out = run(n, stagger, persona, max_seconds=seconds)
        p99 = out["result"]["jitter_ms"]["p99"]
        tried.append({"calls": n, "jitter_p99_ms": p99, "sessions_finished": out["detail"]["sessions_finished"]})
        if p99 > 20 or out["detail"]["sessions_finished"] < n:
            break
        held = n
    return held, tried


def run(n: int, stagger: float, persona: str, max_seconds: float = 180) -> dict:
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
        callees = (_callees_elsewhere if elsewhere else _callees_on_a_thread)(jobs, persona, stagger, max_seconds)
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
        "call_s": round(sum(m.frames_in for m in done) * 0.020, 1),
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
    parser.add_argument("--search", default="50,100,150,200",
                        help="call counts for calls_per_process_at_20ms ('' to skip)")
    parser.add_argument("--search-seconds", type=float, default=20.0, help="call length in the capacity search")
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
    detail, result = out["detail"], out["result"]
    mean_call_s = detail["call_s"] / max(1, detail["sessions_finished"])
    echo = run_echo(args.calls, args.stagger, args.persona, seconds=max(5.0, mean_call_s))
    voice_per_call_s = detail["voice_process_cpu_s"] / max(1e-9, detail["call_s"])
    echo_per_call_s = echo["cpu_s"] / max(1e-9, echo["call_s"])
    detail["echo"] = {"cpu_s": round(echo["cpu_s"], 2), "call_s": round(echo["call_s"], 1), "refused": echo["refused"]}
    result["cpu_s"] = {"voice": detail["voice_process_cpu_s"], "echo": round(echo["cpu_s"], 2)}
    result["cpu_ms_per_call_s"] = {"voice": round(voice_per_call_s * 1000, 2), "echo": round(echo_per_call_s * 1000, 2)}
    result["cpu_ratio_vs_echo"] = round(voice_per_call_s / max(1e-9, echo_per_call_s), 2)
    steps = [int(x) for x in args.search.split(",") if x.strip()]
    held, tried = capacity_search(steps, args.stagger, args.persona, args.search_seconds) if steps else (0, [])
    detail["capacity_search"] = tried
    result["calls_per_process_at_20ms"] = held
    print(json.dumps(detail), flush=True)
    print(json.dumps(out["result"]) if args.json else json.dumps(out["result"], indent=2))


if __name__ == "__main__":
    main()
