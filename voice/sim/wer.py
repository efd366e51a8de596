"""Word error rate of a transcript against its reference, after the usual normalisation (case, punctuation,
numbers as words: Whisper writes "3" and "10:30" where a transcript says "three" and "ten thirty").
Source: WER = (substitutions + deletions + insertions) / reference words (Levenshtein over words)."""
from __future__ import annotations

import re

_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL = {"1st": "first", "2nd": "second", "3rd": "third", "4th": "fourth", "14th": "fourteenth"}


def _number(n: int) -> list[str]:
    if n < 20:
        return [_UNITS[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_UNITS[n % 10]] if n % 10 else [])
    return [str(n)]


def normalize(text: str) -> list[str]:
    """Lower-case words; digits and clock times spelled out; punctuation (and a clock's "o'clock", "m") dropped."""
    out: list[str] = []
    for token in re.findall(r"\d+(?::\d\d)?(?:st|nd|rd|th)?|[a-z']+", text.lower().replace("-", " ")):
        if token in _ORDINAL:
            out.append(_ORDINAL[token])
        elif token[0].isdigit():
            digits = re.sub(r"(st|nd|rd|th)$", "", token)
            if re.fullmatch(r"\d{3,4}", digits) and int(digits[-2:]) < 60:  # "1030": a clock time, as said
                digits = f"{digits[:-2]}:{digits[-2:]}"
            hours, _, minutes = digits.partition(":")
            out += _number(int(hours))
            if minutes and int(minutes):
                out += _number(int(minutes))
        elif token not in ("o'clock", "'"):
            out.append(token.strip("'").replace("mister", "mr").replace("mr", "mister"))
    return [w for w in out if w]


def errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word edits, reference words)."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1], len(ref)


def wer(reference: str, hypothesis: str) -> float:
    edits, words = errors(reference, hypothesis)
    return edits / max(1, words)
