"""A bare Twilio-like media client for tests that need the close code and exact frames (not a persona)."""
from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import websockets
from websockets.asyncio.client import connect

from voice import media_streams as ms
from voice.audio import SILENCE_FRAME


@dataclass
class Connection:
    accepted: bool = False
    agent_frames: int = 0
    close_code: int | None = None


async def open_stream(url: str, call_sid: str, account_sid: str = "ACsimulated", seconds: float = 3.0) -> Connection:
    """Connect, send `connected` + `start`, then silence for up to `seconds`; returns how the server answered.

    Ends early when the server closes the socket; never waits longer than `seconds` + 10 s (handshake).
    """
    out = Connection()
    stream_sid = "MZ" + uuid.uuid4().hex
    try:
        async with connect(url, compression=None, open_timeout=10, close_timeout=2) as ws:
            out.accepted = True
            await ws.send(ms.connected_message())
            await ws.send(ms.start_message(stream_sid, call_sid, account_sid, {}))

            async def read() -> None:
                async for raw in ws:
                    if isinstance(ms.decode_outbound(raw), ms.Media):
                        out.agent_frames += 1

            reader = asyncio.create_task(read())
            loop = asyncio.get_running_loop()
            until = loop.time() + seconds
            chunk = 0
            while not reader.done() and loop.time() < until:
                chunk += 1
                await ws.send(ms.inbound_media_message(stream_sid, chunk + 2, chunk, chunk * 20, SILENCE_FRAME))
                await asyncio.sleep(0.02)
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            out.close_code = ws.close_code
    except websockets.InvalidStatus:
        out.accepted = False
    except websockets.ConnectionClosed as exc:
        out.close_code = exc.rcvd.code if exc.rcvd else None
    return out
