"""Campaign controls for Managers: start, pause, resume, stop; and completion when nothing is left to dial.

Pause and stop take effect at once for new claims; calls already ringing or talking finish normally, and
claimed calls not yet dialed are given back to the hopper by `place_call`.
"""
from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction

from campaigns.models import Campaign, CampaignLead
from crm.roles import is_manager

log = logging.getLogger(__name__)
Status = Campaign.Status


class CampaignControlError(ValueError):
    """The requested change is not possible from the campaign's current state; the message says why."""


def _transition(campaign: Campaign, user, allowed_from: tuple[str, ...], to: str, verb: str) -> Campaign:
    if user is not None and not is_manager(user):
        raise PermissionDenied("Only managers can control campaigns.")
    changed = Campaign.objects.filter(pk=campaign.pk, status__in=allowed_from).update(status=to)
    campaign.refresh_from_db(fields=["status"])
    if not changed:
        raise CampaignControlError(f"Cannot {verb} a campaign that is {campaign.get_status_display().lower()}.")
    log.info("Campaign %s: %s by %s", campaign.slug, verb, user)
    return campaign


def start_campaign(campaign: Campaign, user) -> Campaign:
    """Draft, stopped or completed -> running. Needs a script version and a caller id."""
    if campaign.active_script_version is None:
        raise CampaignControlError("The campaign's script has no version to speak; publish one first.")
    if not campaign.caller_id:
        raise CampaignControlError("Set the campaign's caller id before starting it.")
    return _transition(campaign, user, (Status.DRAFT, Status.STOPPED, Status.COMPLETED), Status.RUNNING, "start")


def pause_campaign(campaign: Campaign, user) -> Campaign:
    return _transition(campaign, user, (Status.RUNNING,), Status.PAUSED, "pause")


def resume_campaign(campaign: Campaign, user) -> Campaign:
    return _transition(campaign, user, (Status.PAUSED,), Status.RUNNING, "resume")


def stop_campaign(campaign: Campaign, user) -> Campaign:
    return _transition(campaign, user, (Status.RUNNING, Status.PAUSED), Status.STOPPED, "stop")


def pause_for_error(campaign_id: int, reason: str) -> None:
    """A provider error no lead can fix (e.g. unverified caller id): stop dialing until a manager acts."""
    if Campaign.objects.filter(pk=campaign_id, status=Status.RUNNING).update(status=Status.PAUSED):
        log.error("Campaign %s paused: %s", campaign_id, reason)


def complete_if_done(campaign_id: int) -> bool:
    """Mark a running campaign completed when no lead is left to dial and no call is in flight."""
    from .claims import retire_undialable

    hopper = CampaignLead.objects.filter(campaign_id=campaign_id)
    if hopper.filter(state=CampaignLead.State.CLAIMED).exists():
        return False  # cheap unlocked pre-check: calls in flight
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id, status=Status.RUNNING).first()
        if campaign is None:
            return False
        if hopper.filter(state=CampaignLead.State.CLAIMED).exists():
            return False
        retire_undialable(campaign_id)
        if hopper.filter(state__in=CampaignLead.DIALABLE_STATES).exists():
            return False
        Campaign.objects.filter(pk=campaign_id).update(status=Status.COMPLETED)
    log.info("Campaign %s completed: nothing left to dial", campaign_id)
    return True
