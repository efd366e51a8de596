"""Real speech with known transcripts, for the real-speech tests and `bench.real_speech`.

Two sources, both free of charge and of rights: recordings Debian ships (`pocketsphinx-testdata`: LibriVox
sentences, public domain, and spoken card names / "go forward ten meters", BSD-2; `alsa-utils`: the speaker-test
voice saying "Front Left"...), and sales-call phrases spoken at run time by the local Piper voice (no recording of
a phone conversation ships anywhere). Every utterance is mu-law 8 kHz, as it would arrive over a phone line.
Needs the local voice extra (numpy for resampling; Piper for the phrases).
"""
from __future__ import annotations

import re
import wave
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

POCKETSPHINX = Path("/usr/share/pocketsphinx/test/data")
ALSA = Path("/usr/share/sounds/alsa")
APT_HINT = "apt install pocketsphinx-testdata alsa-utils"


@dataclass(frozen=True)
class Utterance:
    name: str
    text: str
    source: str  # "debian" | "piper"
    path: str = ""  # the recording, for "debian"


def _transcribed(folder: str, listing: str, name: Callable[[str], str]) -> list[Utterance]:
    """The recordings a pocketsphinx-testdata transcription lists (`<s>words</s> (file id)` a line), as utterances
    named `folder/name(file id)`; none when the package is not installed."""
    out = []
    path = POCKETSPHINX / folder / listing
    if path.is_file():
        for line in path.read_text().splitlines():
            m = re.match(r"<s>(.*)</s>\s*\((\S+)\)", line.strip())
            if m:
                wav = POCKETSPHINX / folder / f"{m.group(2)}.wav"
                out.append(Utterance(f"{folder}/{name(m.group(2))}", " ".join(m.group(1).split()), "debian", str(wav)))
    return out


def _librivox() -> list[Utterance]:
    return _transcribed("librivox", "transcription", lambda file_id: file_id[-4:])


def _cards() -> list[Utterance]:
    return _transcribed("cards", "cards.transcription", lambda file_id: file_id)


def _alsa() -> list[Utterance]:
    names = ("Front_Center", "Front_Left", "Front_Right", "Rear_Center", "Rear_Left", "Rear_Right", "Side_Left",
             "Side_Right")
    return [Utterance(f"alsa/{n}", n.replace("_", " ").lower(), "debian", str(ALSA / f"{n}.wav")) for n in names]


SALES_PHRASES: tuple[tuple[str, str], ...] = (
    ("yes", "Yes."),
    ("no", "No."),
    ("yes_works", "Yes, that works for me."),
    ("not_interested", "No thanks, I'm not interested."),
    ("take_me_off", "Take me off your list."),
    ("do_not_call", "Please take me off your list and do not call me again."),
    ("call_back", "Call me back tomorrow at three."),
    ("tuesday", "How about Tuesday at ten thirty?"),
    ("monday", "Next Monday works better for me."),
    ("friday", "Friday afternoon is fine."),
    ("date", "Let's do the fourteenth of March."),
    ("name", "My name is Sarah Johnson."),
    ("who", "Wait, who are you?"),
    ("twelve", "About twelve people."),
    ("first", "The first one works for me."),
    ("email", "Can you send me an email instead?"),
    ("cost", "How much does it cost?"),
    ("hello", "Hello?"),
)


def utterances(sources: tuple[str, ...] = ("debian", "piper")) -> list[Utterance]:
    """The corpus: Debian recordings that are installed, then the Piper phrases."""
    out: list[Utterance] = []
    if "debian" in sources:
        go = POCKETSPHINX / "goforward.raw"
        debian = [*_librivox(), *_cards(), *_alsa()]
        if go.is_file():
            debian.append(Utterance("goforward", "go forward ten meters", "debian", str(go)))
        out += [u for u in debian if Path(u.path).is_file()]
    if "piper" in sources:
        out += [Utterance(f"piper/{name}", text, "piper") for name, text in SALES_PHRASES]
    return out


def noise() -> bytes:
    """alsa-utils' pink noise (no words), mu-law 8 kHz: for checks that sound alone makes no transcript."""
    from voice.providers.resample import float_to_ulaw, pcm16_to_float, resample

    with wave.open(str(ALSA / "Noise.wav")) as w:
        rate, pcm = w.getframerate(), w.readframes(w.getnframes())
    return float_to_ulaw(resample(pcm16_to_float(pcm), rate, 8000))


def debian_installed() -> bool:
    return (POCKETSPHINX / "librivox" / "transcription").is_file() and (ALSA / "Front_Left.wav").is_file()


def by_name(name: str) -> Utterance:
    for u in utterances():
        if u.name == name:
            return u
    raise KeyError(f"no utterance {name!r} in the corpus (Debian recordings need: {APT_HINT})")


@cache
def audio(name: str) -> bytes:
    """mu-law 8 kHz audio of the utterance `name`, trimmed of leading and trailing silence beyond 100 ms."""
    from voice.providers.resample import float_to_ulaw, pcm16_to_float, resample

    u = by_name(name)
    if u.source == "piper":
        from voice.providers.piper import load_voice

        return load_voice().synthesize(u.text, varied=False)
    if u.path.endswith(".raw"):
        rate, pcm = 16000, Path(u.path).read_bytes()
    else:
        with wave.open(u.path) as w:
            rate, pcm = w.getframerate(), w.readframes(w.getnframes())
            if w.getnchannels() != 1 or w.getsampwidth() != 2:
                raise ValueError(f"{u.path}: expected 16-bit mono")
    x = pcm16_to_float(pcm)
    loud = abs(x) > 0.02
    if loud.any():
        first, last = int(loud.argmax()), len(x) - int(loud[::-1].argmax())
        x = x[max(0, first - rate // 10) : last + rate // 10]
    return float_to_ulaw(resample(x, rate, 8000))
