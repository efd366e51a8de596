"""What an irreversible click will do, worked out before the click: the sentences confirmation pages show."""
from __future__ import annotations

from dataclasses import dataclass

from .models import Campaign, ScriptVersion

LIVE = (Campaign.Status.RUNNING, Campaign.Status.PAUSED)


@dataclass(frozen=True)
class PublishEffects:
    """Campaigns that are running or paused: `switching` follow the published version, `pinned` keep theirs."""

    switching: list[Campaign]
    pinned: list[Campaign]


def publish_effects(version: ScriptVersion) -> PublishEffects:
    """Which live campaigns of the version's script change what the agent says when `version` is published."""
    campaigns = list(
        Campaign.objects.filter(script_id=version.script_id, status__in=LIVE)
        .select_related("script_version")
        .order_by("name")
    )
    return PublishEffects(
        switching=[c for c in campaigns if c.script_version_id is None],
        pinned=[c for c in campaigns if c.script_version_id is not None and c.script_version_id != version.pk],
    )
