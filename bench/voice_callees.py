"""The calls and callees of the voice-resilience scenarios (bench/voice_resilience.py, bench/voice_echo.py): fresh
bench calls, a simulated callee talking on a call's media URL, and waiting for a call's media to end.
"""
from __future__ import annotations

import asyncio
import threading


def bench_calls(n: int, answered_by: str = "human") -> list:
    """`n` fresh calls of the bench campaign (bench.voice), marked answered by `answered_by`."""
    from bench.voice import _world
    from crm.models import Call

    calls = _world(n)
    Call.objects.filter(pk__in=[c.pk for c in calls]).update(answered_by=answered_by)
    for c in calls:
        c.refresh_from_db()
    return calls


def talk(url: str, call, persona: str, log, max_seconds: float = 60) -> threading.Thread:
    """A simulated callee talking as `persona` on the media URL `url`, in a thread of its own (started)."""
    from voice.sim.callee import run_callee

    thread = threading.Thread(
        target=lambda: asyncio.run(run_callee(url, call.provider_sid, persona, log=log, max_seconds=max_seconds)),
        daemon=True,
    )
    thread.start()
    return thread


def media_url(port: int, call) -> str:
    """The signed media WebSocket URL of `call` on the voice server at 127.0.0.1:`port`."""
    from voice.tokens import make_media_token

    return f"ws://127.0.0.1:{port}/media/{make_media_token(call.pk)}"


def media_ended(call, timeout: float) -> bool:
    """True once the call's media has ended (within `timeout` seconds)."""
    from crm.models import Call
    from voice.loopback_process import wait_until

    return wait_until(lambda: Call.objects.filter(pk=call.pk, media_ended_at__isnull=False).exists(), timeout)
