"""Finding leads and acting on one: search by name, part of the phone number or company; its place in each
campaign; putting a number on the do-not-call list by hand and (Admins only) taking it off."""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from campaigns.models import CampaignLead

from .models import DoNotCall, Lead

log = logging.getLogger(__name__)

State = CampaignLead.State
# Fewer digits than this are not searched as a phone number ("3" would match almost everyone).
MIN_PHONE_DIGITS = 3


def search_q(text: str, prefix: str = "") -> Q:
    """A filter matching `text` against a lead's name, company or phone number.

    Every word must match the first name, last name or company; a query holding at least three digits also
    matches numbers containing those digits in that order, whatever the punctuation ("(312) 555-98" finds
    +13125559876). `prefix` is the path to the lead ("lead__" from a call). An empty text matches everything.
    """
    text = text.strip()
    if not text:
        return Q()
    words = Q()
    for word in text.split():
        words &= (
            Q(**{f"{prefix}first_name__icontains": word})
            | Q(**{f"{prefix}last_name__icontains": word})
            | Q(**{f"{prefix}company__icontains": word})
        )
    digits = re.sub(r"\D", "", text)
    if len(digits) >= MIN_PHONE_DIGITS:
        return words | Q(**{f"{prefix}phone__contains": digits})
    return words


def with_dnc(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """The leads annotated with `on_dnc` (bool): their number is on the do-not-call list."""
    return leads.annotate(on_dnc=Exists(DoNotCall.objects.filter(phone=OuterRef("phone"))))


@dataclass(frozen=True)
class Place:
    """One campaign's hold on a lead, as the lead page shows it."""

    entry: CampaignLead
    waiting_for: str  # a sentence: why it is not being dialed right now, or what comes next


def places(lead: Lead, now: dt.datetime | None = None) -> list[Place]:
    """Each campaign holding `lead`, with its hopper state, attempts and what happens next."""
    now = now or timezone.now()
    entries = CampaignLead.objects.filter(lead=lead).select_related("campaign").order_by("-updated_at", "-id")
    return [Place(entry, _next_step(entry, now)) for entry in entries]


def _next_step(entry: CampaignLead, now: dt.datetime) -> str:
    campaign = entry.campaign
    if entry.state == State.DO_NOT_CALL:
        return "Never dialed again: the number is on the do-not-call list."
    if entry.state == State.DONE:
        return "Finished."
    if entry.state == State.EXHAUSTED:
        return f"All {campaign.max_attempts} attempts used."
    if entry.state == State.CLAIMED:
        return "A call is in progress or about to be placed."
    if campaign.status != campaign.Status.RUNNING:
        return f"Waits: the campaign is {campaign.get_status_display().lower()}."
    if entry.next_attempt_at and entry.next_attempt_at > now:
        return "Waits for its next attempt time, then the campaign's calling window."
    return _window_step(entry, now)


def _window_step(entry: CampaignLead, now: dt.datetime) -> str:
    """For a due lead of a running campaign: dialed soon, or what the calling window is waiting for."""
    from dialer.windows import effective_window, lead_inside

    campaign, lead = entry.campaign, entry.lead
    names = [n for n in lead.timezone.split(",") if n] or [n for n in [campaign.default_timezone] if n]
    if not names:
        return "Never dialed: its time zone is unknown and the campaign has no default zone."
    if lead_inside(lead, campaign, now):
        return "Due: dialed as soon as a line is free."
    start, end = effective_window(campaign)
    local = now.astimezone(ZoneInfo(names[0]))
    return (
        f"Waits for the calling window: it is {local:%a %H:%M} in {names[0]}; "
        f"calls go out {start:%H:%M}–{end:%H:%M} their time on the campaign's days."
    )


@transaction.atomic
def add_to_dnc(lead: Lead, reason: str) -> DoNotCall:
    """Put the lead's number on the do-not-call list (source "manual") and take it out of every campaign's
    dialing. Idempotent: a number already listed keeps its first entry. A call in flight is left to finish."""
    entry, _ = DoNotCall.objects.get_or_create(
        phone=lead.phone, defaults={"source": DoNotCall.Source.MANUAL, "reason": reason.strip()[:255]}
    )
    CampaignLead.objects.filter(lead=lead, state__in=CampaignLead.DIALABLE_STATES).update(
        state=State.DO_NOT_CALL, next_attempt_at=None
    )
    return entry


@transaction.atomic
def remove_from_dnc(lead: Lead, reason: str, user=None) -> int:
    """Take the number off the list (an Admin's decision, logged with `reason` and `user`) and give its campaigns
    back the attempts it has left.

    Returns how many do-not-call entries were deleted (0 or 1). A campaign row with attempts left goes back to
    pending (never tried) or retry (due now); one with none left becomes exhausted.
    """
    deleted, _ = DoNotCall.objects.filter(phone=lead.phone).delete()
    if deleted:
        log.warning("Do-not-call entry for lead %s removed by %s: %s", lead.pk, user, reason)
    for entry in CampaignLead.objects.filter(lead=lead, state=State.DO_NOT_CALL).select_related("campaign"):
        if entry.attempts >= entry.campaign.max_attempts:
            entry.state = State.EXHAUSTED
        else:
            entry.state = State.RETRY if entry.attempts else State.PENDING
            entry.next_attempt_at = entry.next_attempt_at or timezone.now()
        entry.save(update_fields=["state", "next_attempt_at", "updated_at"])
    return deleted
