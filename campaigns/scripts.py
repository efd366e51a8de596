"""Script versioning: every save is a new immutable version."""
from __future__ import annotations

from django.db import transaction

from .models import Script, ScriptVersion

VERSION_FIELDS = (
    "instructions",
    "opening_line",
    "qualification_questions",
    "objection_notes",
    "knowledge_base",
    "voicemail_message",
    "voice",
)


def script_fields(version: ScriptVersion | None) -> dict:
    """A version's content as the plain dict providers and the playground read (empty for no version)."""
    if version is None:
        return {}
    return {name: getattr(version, name) for name in VERSION_FIELDS} | {"id": version.pk, "number": version.number}


@transaction.atomic
def save_new_version(script: Script, user=None, publish: bool = False, **fields) -> ScriptVersion:
    """Append version N+1 of `script` (locked against concurrent editors); optionally publish it."""
    Script.objects.select_for_update().filter(pk=script.pk).first()
    last = script.versions.order_by("-number").first()
    values = {name: getattr(last, name) for name in VERSION_FIELDS} if last else {}
    values.update(fields)
    version = ScriptVersion.objects.create(
        script=script, number=(last.number + 1) if last else 1, created_by=user, **values
    )
    if publish:
        publish_version(version)
    return version


def publish_version(version: ScriptVersion) -> None:
    Script.objects.filter(pk=version.script_id).update(published_version=version)
    version.script.published_version = version
