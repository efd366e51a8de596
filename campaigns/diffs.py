"""Line diffs between two script versions, field by field, for the script editor."""
from __future__ import annotations

import difflib
from dataclasses import dataclass

from .forms import ScriptVersionForm
from .models import ScriptVersion

FIELD_LABELS = {
    "instructions": "Instructions",
    "opening_line": "Opening line",
    "qualification_questions": "Qualification questions",
    "objection_notes": "Objection notes",
    "knowledge_base": "Knowledge base",
    "voicemail_message": "Voicemail message",
    "voice": "Voice",
}


@dataclass(frozen=True)
class Line:
    kind: str  # "same", "added" or "removed"
    text: str


@dataclass(frozen=True)
class FieldDiff:
    field: str
    label: str
    lines: list[Line]

    @property
    def changed(self) -> bool:
        return any(line.kind != "same" for line in self.lines)


def diff_lines(old: str, new: str) -> list[Line]:
    a, b = old.splitlines(), new.splitlines()
    lines: list[Line] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            lines += [Line("same", text) for text in a[i1:i2]]
            continue
        lines += [Line("removed", text) for text in a[i1:i2]]
        lines += [Line("added", text) for text in b[j1:j2]]
    return lines


def diff_versions(old: ScriptVersion, new: ScriptVersion) -> list[FieldDiff]:
    """Every editable field of the two versions, as the editor shows it (one item per line)."""
    before, after = ScriptVersionForm.initial_from(old), ScriptVersionForm.initial_from(new)
    return [FieldDiff(name, label, diff_lines(before[name], after[name])) for name, label in FIELD_LABELS.items()]
