"""Turn-taking rules: who is speaking (VAD), when the caller interrupts, what is only a backchannel,
and how a streamed reply is cut into the pieces sent to TTS. Plain, synchronous and cheap per frame.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import webrtcvad
from django.conf import settings

from voice.audio import MIN_LOUD_SAMPLES, loud_samples_table, ulaw_to_pcm16

BACKCHANNELS = frozenset(
    "uh-huh uh huh mm-hmm mhm mm hmm yeah yep yes yup right okay ok sure alright i see got it go on".split()
)
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)?")


@dataclass(frozen=True)
class TurnSettings:
    """Timing of turn-taking; each is a Django setting of the same name in upper case, prefixed VOICE_."""

    barge_in_ms: int = 200  # caller speech during agent speech longer than this may interrupt
    barge_in_wordless_ms: int = 600  # ... and interrupts without any recognised word once this long
    false_interruption_s: float = 2.0  # no words this long after an interruption: resume the unheard rest
    speculate_silence_ms: int = 40  # VAD silence after speech that starts the LLM on the interim transcript
    end_of_turn_silence_ms: int = 100  # VAD silence required besides the STT's end of speech
    greeting_wait_ms: int = 1500  # how long to wait for the callee's "hello" before the opening line
    reprompt_s: float = 7.0  # caller silent this long after the agent finished: ask if they are there
    silence_hangup_s: float = 16.0  # ... this long: say goodbye and hang up
    finalize_after_ms: int = 300  # VAD silence with words pending and no end of speech: send the STT Finalize
    end_of_turn_fallback_ms: int = 700  # ... finals pending this long: the turn ends without the STT's end of speech
    interim_fallback_ms: int = 1000  # ... only an interim this long: it is taken as the turn
    mark_timeout_s: float = 1.5  # marks not back this long after the last frame: stop waiting for them
    vad_mode: int = 2
    voice_floor: int = 400  # |sample| counted as loud; with VAD, ends speech without webrtcvad's hangover

    @classmethod
    def from_settings(cls) -> TurnSettings:
        values = {}
        for name in cls.__dataclass_fields__:
            setting = f"VOICE_{name.upper()}"
            if hasattr(settings, setting):
                values[name] = getattr(settings, setting)
        return cls(**values)


class VoiceActivity:
    """Speech or not, per 20 ms mu-law frame: webrtcvad, gated by loudness so speech ends without hangover."""

    __slots__ = ("_vad", "_loud")

    def __init__(self, mode: int = 2, floor: int = 400) -> None:
        self._vad = webrtcvad.Vad(mode)
        self._loud = loud_samples_table(floor)

    def is_speech(self, frame: bytes) -> bool:
        if frame.translate(self._loud).count(1) < MIN_LOUD_SAMPLES:
            return False
        return self._vad.is_speech(ulaw_to_pcm16(frame), 8000)


def voice_activity(turn: TurnSettings) -> VoiceActivity:
    """The session's (and the Whisper STT's) VAD: webrtcvad, or Silero when VOICE_VAD=silero (local extra)."""
    if getattr(settings, "VOICE_VAD", "webrtc") == "silero":
        from voice.providers.silero import SileroActivity

        return SileroActivity(floor=turn.voice_floor)  # type: ignore[return-value]
    return VoiceActivity(turn.vad_mode, turn.voice_floor)


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def is_backchannel(text: str) -> bool:
    """ "uh-huh", "yeah", "right", "okay sure": acknowledgements that do not take the turn."""
    words = words_of(text)
    return 0 < len(words) <= 3 and all(w in BACKCHANNELS for w in words)


def should_interrupt(speech_ms: int, heard_so_far: str, turn: TurnSettings) -> bool:
    """The barge-in rule, checked on every caller frame and transcript while the agent speaks."""
    if speech_ms < turn.barge_in_ms:
        return False
    if words_of(heard_so_far):
        return not is_backchannel(heard_so_far)
    return speech_ms >= turn.barge_in_wordless_ms


def same_words(a: str, b: str) -> bool:
    """Do two transcripts say the same thing (case and punctuation aside)? Decides if speculation stands."""
    return words_of(a) == words_of(b)


_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*\s")
_CLAUSE_END = re.compile(r"[,;:\u2014]\s")


class SentenceSplitter:
    """Cuts streamed text into pieces for TTS: each complete sentence, and the first clause of a reply early,
    so the first audio does not wait for a long first sentence."""

    def __init__(self, first_clause: bool = True) -> None:
        self._buf = ""
        self._first = first_clause

    def feed(self, text: str) -> list[str]:
        self._buf += text
        out: list[str] = []
        while True:
            match = _SENTENCE_END.search(self._buf)
            if self._first:
                clause = _CLAUSE_END.search(self._buf)
                if clause and (match is None or clause.start() < match.start()):
                    match = clause
            if match is None:
                return out
            piece, self._buf = self._buf[: match.end()].strip(), self._buf[match.end() :]
            self._first = False
            if piece:
                out.append(piece)

    def flush(self) -> list[str]:
        piece, self._buf = self._buf.strip(), ""
        return [piece] if piece else []
