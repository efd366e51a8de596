"""The echo scenario of the voice-resilience benchmark (bench/voice_resilience.py): a callee whose phone returns
the agent's own audio, and the self-interruptions (barge-ins on nothing the callee said) that causes.
"""
from __future__ import annotations

import dataclasses
import json
import math
import time

from bench.voice_callees import bench_calls, media_url, talk

ECHO_GAIN = 10 ** (-10 / 20)  # -10 dB
ECHO_DELAY_FRAMES = 5  # 100 ms


def echo(port: int, gain: float = ECHO_GAIN) -> tuple[int, dict]:
    """A callee whose phone returns the agent's audio 100 ms later at `gain` (-10 dB; `--echo-db`), mixed into what it
    sends: the simulator's own speakerphone (`Persona.echo_db`) when it has one, else a socket wrapper here.
    A self-interruption is a `clear` (barge-in) arriving while the callee has not spoken for 500 ms."""
    import base64

    from voice import metrics
    from voice.audio import pcm_to_ulaw, ulaw_to_pcm16
    from voice.sim import callee as callee_mod
    from voice.sim import personas
    from voice.sim.callee import CalleeLog

    built_in = "echo_db" in {f.name for f in dataclasses.fields(personas.Persona)}
    base = personas.PERSONAS["books_meeting"]
    if built_in:
        persona = dataclasses.replace(base, name="bench-echo", echo_db=20 * math.log10(gain or 1e-12),
                                      echo_delay_ms=ECHO_DELAY_FRAMES * 20)  # fmt: skip
    else:
        persona = dataclasses.replace(base, name="bench-echo")
    personas.PERSONAS[persona.name] = persona

    class Phone:
        """Wraps the callee's socket: counts clears, and (without a built-in echo) mixes the agent frame played
        5 ticks earlier into each inbound media frame."""

        def __init__(self, ws, callee) -> None:
            self.ws, self.callee = ws, callee
            self.last_spoke = 0.0
            self.self_interruptions = 0

        def __getattr__(self, name):
            return getattr(self.ws, name)

        async def __aiter__(self):
            async for raw in self.ws:
                if '"clear"' in raw and time.monotonic() - self.last_spoke > 0.5:
                    self.self_interruptions += 1
                yield raw

        async def send(self, message):
            if message.startswith('{"event":"media"'):
                if self.callee.current_line is not None or self.callee.outgoing:
                    self.last_spoke = time.monotonic()
                history = self.callee.bench_played
                agent = history[-ECHO_DELAY_FRAMES] if len(history) >= ECHO_DELAY_FRAMES and not built_in else None
                if agent is not None:
                    body = json.loads(message)
                    mine = memoryview(ulaw_to_pcm16(base64.b64decode(body["media"]["payload"]))).cast("h")
                    theirs = memoryview(ulaw_to_pcm16(agent)).cast("h")
                    pairs = zip(mine, theirs, strict=False)
                    mixed = [max(-32768, min(32767, int(a + gain * b))) for a, b in pairs]
                    body["media"]["payload"] = base64.b64encode(pcm_to_ulaw(mixed)).decode()
                    message = json.dumps(body)
            await self.ws.send(message)

    original = callee_mod._Callee
    phones: list[Phone] = []

    class EchoCallee(original):
        def __init__(self, ws, *args, **kwargs) -> None:
            self.bench_played: list = []
            phone = Phone(ws, self)
            phones.append(phone)
            super().__init__(phone, *args, **kwargs)

        async def _play_one_frame(self) -> None:
            head = next((item for item in self.playback if not isinstance(item, str)), None)
            before = len(self.playback)
            await super()._play_one_frame()
            self.bench_played.append(head if head is not None and len(self.playback) < before else None)
            del self.bench_played[:-50]

    call = bench_calls(1)[0]
    log = CalleeLog()
    callee_mod._Callee = EchoCallee
    try:
        talk(media_url(port, call), call, persona.name, log, max_seconds=40).join(60)
        m = metrics.wait_for(call.pk, 30)
    finally:
        callee_mod._Callee = original
        personas.PERSONAS.pop(persona.name, None)
    count = sum(p.self_interruptions for p in phones)
    return count, {"echo": "simulator's speakerphone" if built_in else "bench socket wrapper", "clears": log.clears,
                   "interruptions": m.interruptions if m else None, "lines_said": len(log.said),
                   "agent_frames": log.agent_frames, "outcome": m.outcome if m else None}  # fmt: skip
