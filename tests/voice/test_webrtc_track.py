"""The agent's WebRTC track plays like Twilio's media stream: one frame per 20 ms, a mark reported once the frame
before it went out, nothing of a cleared reply afterwards."""
import asyncio

from voice.audio import FRAME_BYTES
from voice.webrtc import AgentTrack, WebRTCTransport


def test_marks_come_back_after_their_audio_and_clear_drops_what_is_queued():
    async def scenario():
        track = AgentTrack()
        marks: list[str] = []
        track.on_mark = marks.append
        transport = WebRTCTransport(track, on_close=lambda: None)
        loud = bytes([0x10]) * FRAME_BYTES
        for _ in range(3):
            await transport.send_media(loud)
        await transport.send_mark("1:0")
        await track.recv()
        await track.recv()
        assert marks == []  # one frame of the piece still to go
        third = await track.recv()
        assert marks == ["1:0"] and third.samples == FRAME_BYTES and third.sample_rate == 8000
        for _ in range(5):
            await transport.send_media(loud)
        await transport.send_mark("2:0")
        await transport.send_clear()
        silent = await track.recv()
        assert marks == ["1:0"]  # a cleared piece was never heard
        assert max(abs(s) for s in memoryview(bytes(silent.planes[0])).cast("h")[:FRAME_BYTES]) < 16
        started = asyncio.get_running_loop().time()
        for _ in range(5):
            await track.recv()
        assert asyncio.get_running_loop().time() - started >= 0.09  # paced at 20 ms a frame, not as fast as asked

    asyncio.run(scenario())
