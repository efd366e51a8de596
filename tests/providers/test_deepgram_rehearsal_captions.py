"""In the demo, Deepgram hears the simulated callee's words from the rehearsal captions, timed by the audio."""
from __future__ import annotations

import asyncio

from tests.emulators.mulaw import silence
from voice.providers.base import SpeechStarted, Transcript

from .speech import heard_until, speak


async def test_caption_words_arrive_as_interims_then_a_final_when_their_audio_has_played(stt, deepgram):
    captions: asyncio.Queue = asyncio.Queue()
    followed = []

    async def subscribe(sid):
        followed.append(sid)
        while True:
            yield await captions.get()

    deepgram.captions = subscribe
    stream = await stt.open()
    # "Sure, go ahead." starting at chunk 11 (200 ms in), as the rehearsal callee publishes it
    captions.put_nowait({"utterance": 1, "start_chunk": 11,
                         "words": [["Sure,", 0, 190], ["go", 270, 380], ["ahead.", 410, 710]]})
    await speak(stream, silence(1.4))
    events = await heard_until(stream, lambda e: isinstance(e, Transcript) and e.is_final and bool(e.text))
    await stream.close()

    assert followed == ["CA7"]
    assert events[0] == SpeechStarted(timestamp=0.2)
    assert [e.text for e in events if isinstance(e, Transcript) and e.text] == ["Sure,", "Sure, go", "Sure, go ahead."]
    final = events[-1]
    assert final.speech_final and [(w["start"], w["end"]) for w in final.words] == [
        (0.2, 0.39), (0.47, 0.58), (0.61, 0.91)]
