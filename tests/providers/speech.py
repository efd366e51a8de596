"""Helpers that play a caller into an STT stream and read what it heard."""
from __future__ import annotations

import asyncio
from collections.abc import Callable

from tests.emulators.mulaw import frames
from voice.providers.base import STTEvent, STTStream


async def speak(stream: STTStream, audio: bytes) -> None:
    for frame in frames(audio):
        await stream.send(frame)


async def heard_until(stream: STTStream, done: Callable[[STTEvent], bool], timeout: float = 5.0) -> list[STTEvent]:
    """Events from the stream up to and including the first one `done` accepts."""
    seen: list[STTEvent] = []
    async with asyncio.timeout(timeout):
        async for event in stream.events():
            seen.append(event)
            if done(event):
                return seen
    raise AssertionError(f"the stream ended before the awaited event; saw {seen}")
