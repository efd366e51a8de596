"""Echo-robust barge-in: is the caller track only the agent's own voice coming back (a speakerphone, a laptop)?

Levels are dB of a 20 ms frame's mean absolute sample, so an echo returned at -10 dB is the agent's level
shifted down by 10. `EchoGuard` keeps, per caller frame, the level
of what the agent had just sent (the reference) and the caller's level; it estimates the echo path (delay up to
~300 ms, loss) from the normalised cross-correlation of the two level envelopes, and calls a voiced caller frame
echo when its level is explained by the reference at that delay. Until the two envelopes have been seen to
correlate (a first estimate from 240 ms), nothing is echo. A caller talking over the echo is louder than the echo
predicts, so a real barge-in still shows in its first voiced frame.

Background: the "double-talk detection" of line echo cancellers (ITU-T G.168 §3), reduced to frame energies.
"""
from __future__ import annotations

from collections import deque
from difflib import SequenceMatcher
from math import log10

from voice.audio import FRAME_BYTES, ULAW_TO_PCM

_ABS_HI = bytes(abs(s) >> 8 for s in ULAW_TO_PCM)  # mu-law byte -> |sample| >> 8
_ABS_LO = bytes(abs(s) & 0xFF for s in ULAW_TO_PCM)  # ... and |sample| & 0xFF: two sums give sum(|sample|)
MAX_DELAY = 15  # frames searched for the echo delay (300 ms)
WINDOW = 25  # frames correlated (500 ms)
ESTIMATE_EVERY = 5  # frames between estimates (100 ms)
WARMUP_WINDOW = 12  # frames correlated for the first estimate of a call (240 ms)
MIN_CORRELATION = 0.8  # envelopes this alike: the caller track is (mostly) echo, and the estimate is trusted
MARGIN_DB = 2.0  # the caller is this much (plus 1.5 spreads) louder than the echo predicts: it is the caller
MIN_LOSS_DB = 3.0  # an acoustic echo comes back at least this much quieter than the agent
MAX_SPREAD_DB = 2.5  # ... and steadily so: the frame-by-frame level gap to the reference varies this little
HANGOVER = 5  # frames (100 ms) after a frame judged the caller's during which voiced frames stay the caller's
SOUND_DB = 30.0  # a caller frame at least this loud carries sound (below: line noise or digital silence)
LOUD = 40.0  # reference frames at least this loud (dB) measure the echo's loss (well above quantisation)
REFERENCE_HOLD_S = 0.045  # an agent frame counts as "just sent" for this long (two frame periods, jitter)
_RING = WINDOW + MAX_DELAY + 1


def level(frame: bytes) -> float:
    """Level of a mu-law frame in dB of its mean absolute sample (0 for digital silence, ~90 at full scale)."""
    total = (sum(frame.translate(_ABS_HI)) << 8) + sum(frame.translate(_ABS_LO))
    return 20 * log10(1 + total / (len(frame) or 1))


class EchoGuard:
    """Per call: `sent(frame, now)` for every frame the agent plays; `is_echo(frame, voiced, now)` for every caller
    frame (in order), True when a frame the VAD calls voiced is explained by the agent's own audio.

    Cheap on the per-frame path: nothing while the agent has been quiet for 350 ms; otherwise one level (~5 us) per
    caller frame, the agent's levels only when needed, and an estimate only when the caller track carries sound.
    """

    __slots__ = ("ref", "ref_db", "cal", "loud", "delay", "loss", "spread", "agent_frame", "agent_t", "n",
                 "echo_frames", "caller_until")

    def __init__(self) -> None:
        self.ref: deque[bytes | None] = deque([None] * _RING, maxlen=_RING)  # what the agent had just sent
        self.ref_db: deque[float] = deque([0.0] * _RING, maxlen=_RING)  # its level; -1.0 until computed
        self.cal: deque[float] = deque([0.0] * _RING, maxlen=_RING)  # the caller track's level
        self.loud = 0  # caller frames in `cal` with sound (an estimate is only worth trying then)
        self.delay: int | None = None  # estimated echo delay, caller frames
        self.loss = 0.0  # estimated echo loss, dB
        self.spread = 0.0  # standard deviation of the frame-by-frame loss, dB
        self.agent_frame: bytes | None = None
        self.agent_t = -1.0
        self.n = 0
        self.echo_frames = 0
        self.caller_until = -1  # frame count until which voiced frames are the caller's (hangover)

    def sent(self, frame: bytes, now: float) -> None:
        self.agent_frame = frame
        self.agent_t = now

    def _ref_level(self, back: int) -> float:
        """Level of the reference `back` caller frames ago (0 = this frame), computed once."""
        i = _RING - 1 - back
        db = self.ref_db[i]
        if db < 0:
            frame = self.ref[i]
            db = self.ref_db[i] = level(frame) if frame is not None else 0.0
        return db

    def is_echo(self, frame: bytes, voiced: bool, now: float) -> bool:
        if now - self.agent_t > MAX_DELAY * 0.02 + REFERENCE_HOLD_S:
            if self.ref[-1] is not None or self.loud:  # the agent has been quiet longer than any echo lasts
                self.ref.extend([None] * _RING)
                self.ref_db.extend([0.0] * _RING)
                self.cal.extend([0.0] * _RING)
                self.loud = 0
            return False
        recent = self.agent_frame if now - self.agent_t <= REFERENCE_HOLD_S else None
        self.ref.append(recent)
        self.ref_db.append(-1.0 if recent is not None else 0.0)
        mine = level(frame) if len(frame) == FRAME_BYTES else 0.0
        if self.cal[0] >= SOUND_DB:
            self.loud -= 1
        self.cal.append(mine)
        if mine >= SOUND_DB:
            self.loud += 1
        self.n += 1
        if self.loud >= WARMUP_WINDOW // 2:
            if self.delay is None:  # warm-up: a first estimate from a shorter window, every other frame
                if self.n % 2 == 0:
                    self._estimate(WARMUP_WINDOW)
            elif self.n % ESTIMATE_EVERY == 0:
                self._estimate(WINDOW)
        if not voiced or self.delay is None:  # no echo seen on this call (yet): every voiced frame is the caller's
            return False
        d = self.delay
        predicted = max(self._ref_level(k) for k in (d - 1, d, d + 1) if 0 <= k < _RING)
        echo = predicted > 0 and mine <= predicted - self.loss + MARGIN_DB + 1.5 * self.spread
        if not echo:
            self.caller_until = self.n + HANGOVER
            return False
        if self.n <= self.caller_until:
            return False  # double talk: the caller holds the line through a syllable the echo masks
        self.echo_frames += 1
        return True

    def _estimate(self, window: int) -> None:
        cal = list(self.cal)[-window:]
        mean_c = sum(cal) / window
        dc = [c - mean_c for c in cal]
        var_c = sum(x * x for x in dc)
        if var_c <= 1e-9:
            return
        refs = [self._ref_level(back) for back in range(_RING - 1, -1, -1)]  # oldest first, like `cal`
        best, best_d = 0.0, None
        for d in range(MAX_DELAY + 1):
            seg = refs[len(refs) - window - d : len(refs) - d]
            mean_r = sum(seg) / window
            dr = [r - mean_r for r in seg]
            var_r = sum(x * x for x in dr)
            if var_r <= 1e-9:
                continue
            ncc = sum(a * b for a, b in zip(dc, dr, strict=True)) / (var_c * var_r) ** 0.5
            if ncc > best:
                best, best_d = ncc, d
        if best_d is None or best < MIN_CORRELATION:
            return
        seg = refs[len(refs) - window - best_d : len(refs) - best_d]
        gaps = sorted(r - c for r, c in zip(seg, cal, strict=True) if r >= LOUD and c > 0)
        if len(gaps) < window // 2:
            return
        loss = gaps[len(gaps) // 2]
        mean = sum(gaps) / len(gaps)
        spread = (sum((g - mean) ** 2 for g in gaps) / len(gaps)) ** 0.5
        # An echo is the reference a steady few dB down; a caller who happens to speak in the same rhythm is not.
        if loss < MIN_LOSS_DB or spread > MAX_SPREAD_DB:
            return
        self.delay, self.loss, self.spread = best_d, loss, spread


def repeats_agent(heard: str, agent_words: list[str], share: float = 0.8) -> bool:
    """Is a transcript the agent's own words coming back (echo transcribed), not the caller speaking?
    True when `share` of its words match the agent's words in order; a single word only when it is one of the
    agent's and at least 5 letters long ("understood", "goodbye": never "no", "yes", "stop", "wait")."""
    from voice.turns import words_of

    words = words_of(heard)
    if not words or not agent_words:
        return False
    if len(words) == 1:
        return len(words[0]) >= 5 and words[0] in agent_words
    matched = sum(b.size for b in SequenceMatcher(None, words, agent_words, autojunk=False).get_matching_blocks())
    return matched >= share * len(words)
