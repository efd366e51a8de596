"""A malformed frame is logged and skipped; the call carries on."""
import asyncio
import json

from websockets.asyncio.client import connect

from crm.models import Call
from voice import media_streams as ms
from voice import metrics
from voice.audio import SILENCE_FRAME
from voice.tokens import media_stream_url

from .calls import agent_turns, live_call

GARBAGE = [
    "this is not json",
    json.dumps(["a", "list"]),
    json.dumps({"event": "media", "media": {"payload": "%%% not base64 %%%"}}),
    json.dumps({"event": "media"}),
    json.dumps({"event": "telepathy"}),
    b"\x00\x01binary junk",
]


async def _talk(url: str, sid: str) -> int:
    """Start a stream, send garbage among silent frames, and count the agent audio that still arrives."""
    received = 0
    async with connect(url, compression=None) as ws:
        await ws.send(ms.connected_message())
        await ws.send(ms.start_message("MZtest", sid, "ACsimulated", {}))
        for chunk in range(1, 200):  # 4 s of silence: the agent opens after the greeting wait
            if chunk <= len(GARBAGE):
                await ws.send(GARBAGE[chunk - 1])
            await ws.send(ms.inbound_media_message("MZtest", chunk + 2, chunk, chunk * 20, SILENCE_FRAME))
            try:
                while True:
                    message = await asyncio.wait_for(ws.recv(), timeout=0.02)
                    if isinstance(ms.decode_outbound(message), ms.Media):
                        received += 1
            except TimeoutError:
                pass
        await ws.send(ms.stop_message("MZtest", 999, "ACsimulated", sid))
    return received


def test_malformed_frames_are_skipped_and_the_call_goes_on(voice_server):
    call = live_call()
    received = asyncio.run(_talk(media_stream_url(call.pk), call.provider_sid))
    m = metrics.wait_for(call.pk)

    assert m.malformed_frames == len(GARBAGE)
    assert received > 50  # the agent's opening played after the garbage
    assert agent_turns(call)[0].text.startswith("Hi Pat")
    call.refresh_from_db()
    assert call.outcome == Call.Outcome.HUNG_UP and call.media_ended_at is not None
