"""The failover wrappers with in-process providers: what the next provider is given, and what the session sees."""
from __future__ import annotations

import pytest

from voice.providers.base import AudioChunk, ProviderError, TextDelta, ToolCall, Transcript
from voice.providers.failover import Chain, FailoverLLM, FailoverTTS, beyond
from voice.providers.failover_stt import FailoverSTT


class ScriptLLM:
    def __init__(self, events, fail_after=None):
        self.events, self.fail_after, self.asked = events, fail_after, []

    async def stream(self, messages, tools):
        self.asked.append(messages)
        for i, event in enumerate(self.events):
            if i == self.fail_after:
                raise ProviderError("dropped mid-stream")
            yield event


def chain(layer, providers, switches):
    """`switches` gets each switch record once (on_switch hears it again when the next provider first serves)."""
    return Chain(layer, list(providers), lambda name: providers[name],
                 lambda record: record in switches or switches.append(record))


async def test_a_reply_cut_mid_stream_is_asked_again_and_not_said_twice():
    said = [TextDelta("Sure, "), TextDelta("I can "), TextDelta("help with that."), ToolCall("t1", "end_call", {})]
    first, second = ScriptLLM(said, fail_after=2), ScriptLLM(said)
    switches = []
    llm = FailoverLLM(chain("llm", {"a": first, "b": second}, switches))
    messages = [{"role": "user", "content": "Can you help?"}]

    events = [e async for e in llm.stream(messages, [])]

    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Sure, I can help with that."
    assert [e for e in events if isinstance(e, ToolCall)] == [ToolCall("t1", "end_call", {})]
    assert second.asked == [messages]
    assert [(s["from"], s["to"], s["why"]) for s in switches] == [("a", "b", "dropped mid-stream")]
    assert switches[0]["served_ms"] is not None


async def test_when_the_last_provider_fails_too_the_error_reaches_the_session():
    llm = FailoverLLM(chain("llm", {"a": ScriptLLM([TextDelta("x")], 0), "b": ScriptLLM([TextDelta("x")], 0)}, []))

    with pytest.raises(ProviderError):
        [e async for e in llm.stream([], [])]


@pytest.mark.parametrize("said, heard, rest", [
    ("Sure, I can", "Sure,", None),
    ("Sure, I can", "Sure, I can help", " help"),
    ("Sure, I can", "Sure,  I can", ""),
    ("Sure, I can", "Of course", " Of course"),
])
def test_what_a_new_reply_adds_to_what_was_already_said(said, heard, rest):
    assert beyond(said, heard) == rest


class ScriptTTS:
    """Speaks each pushed piece as 0.4 s of audio per word, in one chunk, then a boundary; fails if told to."""

    def __init__(self, fail_after_chunks=None, words=False):
        self.fail_after, self.with_words, self.streams = fail_after_chunks, words, []

    async def open(self, voice):
        stream = ScriptTTSStream(self)
        self.streams.append(stream)
        return stream


class ScriptTTSStream:
    def __init__(self, tts):
        import asyncio

        self.tts, self.pushed, self.queue, self.sent = tts, [], asyncio.Queue(), 0

    async def push(self, text):
        self.pushed.append(text)
        words = text.split()
        for i, word in enumerate(words):
            stamps = ({"word": word, "start": 0.0, "end": 0.4},) if self.tts.with_words else ()
            self.queue.put_nowait(AudioChunk(b"\xff" * 3200, words=stamps, boundary=i == len(words) - 1))

    async def end(self):
        self.queue.put_nowait(None)

    async def cancel(self):
        self.queue.put_nowait(None)

    async def audio(self):
        while True:
            chunk = await self.queue.get()
            if chunk is None:
                return
            if self.tts.fail_after is not None and self.sent == self.tts.fail_after:
                raise ProviderError("socket dropped")
            self.sent += 1
            yield chunk


@pytest.mark.parametrize("words", [True, False])
async def test_a_tts_failure_mid_sentence_re_speaks_only_the_unspoken_rest(words):
    first, second = ScriptTTS(fail_after_chunks=4, words=words), ScriptTTS()
    switches = []
    tts = FailoverTTS(chain("tts", {"a": first, "b": second}, switches))
    stream = await tts.open("voice")
    await stream.push("Hello there.")  # 2 words: 2 chunks, boundary on the second
    await stream.push("We can book Tuesday at ten.")  # 6 words: fails after its 2nd chunk
    await stream.push("Does that work?")
    await stream.end()

    chunks = [c async for c in stream.audio()]

    assert second.streams[0].pushed == ["book Tuesday at ten.", "Does that work?"]  # "We can" was said
    assert sum(c.boundary for c in chunks) == 3  # one mark per piece, as the session counts them
    assert [s["layer"] for s in switches] == ["tts"]


async def test_a_piece_whose_audio_was_all_in_keeps_its_boundary_and_is_not_re_spoken():
    first, second = ScriptTTS(fail_after_chunks=2), ScriptTTS()
    tts = FailoverTTS(chain("tts", {"a": first, "b": second}, []))
    stream = await tts.open("voice")
    await stream.push("One two.")
    await stream.push("Three.")
    await stream.end()
    queue = first.streams[0].queue._queue  # "One two." all spoken, then the drop comes before its boundary
    queue[1] = AudioChunk(queue[1].audio)
    queue.insert(2, AudioChunk(b"", boundary=True))

    chunks = [c async for c in stream.audio()]

    assert second.streams[0].pushed == ["Three."]
    assert [c.boundary for c in chunks] == [False, False, True, True]  # the owed mark, then "Three."'s


class ScriptSTT:
    def __init__(self, events, fail=True):
        self.events, self.fail, self.streams = events, fail, []

    async def open(self):
        stream = ScriptSTTStream(self)
        self.streams.append(stream)
        return stream


class ScriptSTTStream:
    def __init__(self, stt):
        import asyncio

        self.stt, self.received, self.closed, self.go = stt, bytearray(), False, asyncio.Event()

    async def send(self, audio):
        self.received.extend(audio)

    async def events(self):
        await self.go.wait()
        for event in self.stt.events:
            yield event
        if self.stt.fail:
            raise ProviderError("stream dropped")
        await self.go.wait()

    async def finalize(self):
        pass

    async def close(self):
        self.closed = True


async def test_an_stt_failure_replays_the_unfinalized_audio_into_the_next_stream_on_the_calls_clock():
    first = ScriptSTT([Transcript("hello", is_final=True, speech_final=True, start=0.0, end=1.0)])
    second = ScriptSTT([Transcript("take me off", is_final=True, speech_final=True, start=0.5, end=1.5)], fail=False)
    switches = []
    stt = FailoverSTT(chain("stt", {"a": first, "b": second}, switches))
    stream = await stt.open()
    await stream.send(b"\x01" * 8000)  # 1.0 s: finalized by "hello"
    await stream.send(b"\x02" * 12000)  # 1.5 s more: not finalized when the stream drops
    first.streams[0].go.set()
    events = aiter(stream.events())

    hello = await anext(events)
    second_open = anext(events)
    import asyncio

    task = asyncio.ensure_future(second_open)
    while not second.streams:
        await asyncio.sleep(0)
    second.streams[0].go.set()
    take = await task

    assert hello.text == "hello" and first.streams[0].closed
    assert bytes(second.streams[0].received) == b"\x02" * 12000  # only what no final had covered
    assert (take.text, take.start, take.end) == ("take me off", 1.5, 2.5)  # moved onto the call's clock
    assert [(s["from"], s["to"]) for s in switches] == [("a", "b")]
    await stream.close()


async def test_pieces_pushed_while_a_switch_is_under_way_reach_the_next_provider():
    import asyncio

    class SlowToOpen(ScriptTTS):
        async def open(self, voice):
            if self.streams:  # not the first stream
                await gate.wait()
            return await super().open(voice)

    gate = asyncio.Event()
    first = ScriptTTS(fail_after_chunks=0)
    second = SlowToOpen()
    second.streams.append(None)  # its next open waits on the gate
    tts = FailoverTTS(chain("tts", {"a": first, "b": second}, []))
    stream = await tts.open("voice")
    await stream.push("One.")
    audio = asyncio.ensure_future(anext(aiter(stream.audio())))
    while not stream._lock.locked():
        await asyncio.sleep(0)
    await stream.push("Two.")  # during the switch
    await stream.end()
    gate.set()

    await audio
    assert second.streams[1].pushed == ["One.", "Two."]
