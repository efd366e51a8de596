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


def unique_slug(name: str) -> str:
    """A script address from its name: "Dental outreach" -> "dental-outreach", then "-2", "-3" when taken
    ("new" is the new-script page's address, so never a script's)."""
    from django.utils.text import slugify

    base = slugify(name)[:45] or "script"
    taken = set(Script.objects.filter(slug__startswith=base).values_list("slug", flat=True)) | {"new"}
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def create_script(name: str, user=None, publish: bool = False, **fields) -> Script:
    """A new script called `name` with version 1 made of `fields` (see VERSION_FIELDS); published on request."""
    script = Script.objects.create(name=name.strip(), slug=unique_slug(name))
    save_new_version(script, user=user, publish=publish, **fields)
    return script
