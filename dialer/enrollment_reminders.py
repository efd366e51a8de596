"""Enrolling meetings into reminder and follow-up campaigns (the beat task `dialer.tasks.enroll_meetings`).

- Reminder campaign: each open meeting (booked, confirmed, rescheduled) of the campaign's reps whose reminder
  time is within `ENROLL_AHEAD` is enrolled once. The reminder time is `meeting_offset_minutes` before the start
  in the lead's wall-clock time (so "24 h before a 10:00 meeting" is 10:00 the day before, across a DST change),
  not sooner than `MIN_AFTER_BOOKING` after the meeting was booked, then moved to the nearest moment the dialer
  may call the lead (campaign window and days, the lead's state calling law and its 24 h cap: the same
  `dialer.callbacks` checker the agent's callbacks use): forward while it stays `REMINDER_MARGIN` before the
  start, else back to the latest allowed moment before it; no allowed moment, no call.
- Follow-up campaign: each meeting of its reps marked held, that ended within `FOLLOW_UP_LOOKBACK`, is enrolled
  once, to be called `meeting_offset_minutes` after its end (lead's wall clock), moved forward into the window.

Idempotent: a `MeetingEnrollment` is unique per (campaign, meeting); the lead's hopper row in the campaign is
created, or re-used once its previous meeting's call is finished. Enrollments not dialed yet are kept true to
their meeting: a reminder whose meeting was canceled, marked held or is about to start is closed (hopper row
done), and one whose meeting moved is re-planned.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.kinds import MEETING_KINDS
from campaigns.models import Campaign, CampaignLead, MeetingEnrollment
from crm.meetings import OPEN_STATUSES
from crm.models import DoNotCall, Meeting

from .callbacks import _Checker as CallChecker

log = logging.getLogger(__name__)
Kind = Campaign.Kind
STEP = dt.timedelta(minutes=15)
REMINDER_MARGIN = dt.timedelta(minutes=30)  # a reminder call is placed at least this long before the start
MIN_AFTER_BOOKING = dt.timedelta(hours=2)  # no reminder call this soon after the meeting was booked
ENROLL_AHEAD = dt.timedelta(days=2)  # enroll (and show on the campaign page) this long before the call
FOLLOW_UP_LOOKBACK = dt.timedelta(days=7)
FOLLOW_UP_SEARCH = dt.timedelta(days=14)
LIVE_CAMPAIGN = (Campaign.Status.DRAFT, Campaign.Status.RUNNING, Campaign.Status.PAUSED)


@dataclass(frozen=True)
class Plan:
    call_at: dt.datetime | None  # None: no moment the lead may be called fits
    plan: str  # one line for the campaign page: how the time was chosen


def _wall_shift(moment: dt.datetime, zone, delta: dt.timedelta) -> dt.datetime:
    """`moment` moved by `delta` on the wall clock of `zone` (aware arithmetic in one zone is wall-clock in
    Python), normalised through UTC so a time in a spring-forward gap becomes a real instant."""
    return (moment.astimezone(zone) + delta).astimezone(dt.UTC)


def plan_reminder(campaign: Campaign, meeting: Meeting, now: dt.datetime) -> Plan:
    """When to call the lead about `meeting` (see the module docstring). Times are aware; `call_at` is UTC."""
    checker = CallChecker(meeting.lead, campaign, None)
    if not checker.zones:
        return Plan(None, "the lead has no known time zone and the campaign no default one")
    zone = checker.zones[0]
    offset = dt.timedelta(minutes=campaign.meeting_offset_minutes)
    target = _wall_shift(meeting.start, zone, -offset)
    earliest = max(now, meeting.created_at + MIN_AFTER_BOOKING)
    latest = meeting.start - REMINDER_MARGIN
    start = max(target, earliest)
    if start > latest:
        return Plan(None, "too close to the meeting to remind")
    moment = start
    while moment <= latest:
        if not checker.why_not(moment):
            return Plan(moment, _describe(moment, target, zone, earliest))
        moment += STEP
    moment = min(target, latest) - STEP
    while moment >= earliest:
        if not checker.why_not(moment):
            return Plan(moment, _describe(moment, target, zone))
        moment -= STEP
    return Plan(None, "no time the lead may be called is left before the meeting")


def plan_follow_up(campaign: Campaign, meeting: Meeting, now: dt.datetime) -> Plan:
    """When to call the lead after the held `meeting`: its end plus the offset (lead's wall clock), moved forward
    into the calling window; not before `now`."""
    checker = CallChecker(meeting.lead, campaign, None)
    if not checker.zones:
        return Plan(None, "the lead has no known time zone and the campaign no default one")
    zone = checker.zones[0]
    target = _wall_shift(meeting.end, zone, dt.timedelta(minutes=campaign.meeting_offset_minutes))
    moment = max(target, now)
    while moment <= max(target, now) + FOLLOW_UP_SEARCH:
        if not checker.why_not(moment):
            return Plan(moment, _describe(moment, target, zone, now))
        moment += STEP
    return Plan(None, "no time the lead may be called in the next two weeks")


def _describe(moment: dt.datetime, target: dt.datetime, zone, floor: dt.datetime | None = None) -> str:
    """One line for the campaign page; `floor` is the earliest the call could be (now, or 2 h after booking)."""
    local = moment.astimezone(zone)
    when = f"{local:%a %d %b %H:%M} {local.tzname()}"
    if abs(moment - target) < STEP:
        return f"call {when} (lead's time)"
    if floor is not None and target < floor and moment - floor < STEP:
        return f"call {when} (lead's time), as soon as possible: the offset before the meeting had passed"
    wanted = target.astimezone(zone)
    return f"call {when} (lead's time), moved from {wanted:%a %H:%M} into the calling window"


def candidates(campaign: Campaign, now: dt.datetime):
    """Meetings of the campaign's reps it should call about and has not enrolled yet."""
    meetings = Meeting.objects.filter(rep__in=campaign.reps.all()).exclude(enrollments__campaign=campaign)
    if campaign.kind == Kind.REMINDER:
        horizon = now + ENROLL_AHEAD + dt.timedelta(minutes=campaign.meeting_offset_minutes)
        meetings = meetings.filter(status__in=OPEN_STATUSES, start__gt=now + REMINDER_MARGIN, start__lte=horizon)
    else:
        meetings = meetings.filter(status=Meeting.Status.HELD, end__gte=now - FOLLOW_UP_LOOKBACK, end__lte=now)
    return meetings.select_related("lead", "rep").order_by("start", "id")


def enroll(campaign_id: int, now: dt.datetime | None = None) -> dict[str, int]:
    """Enroll the campaign's new meetings and keep its waiting enrollments true to their meetings.

    Returns counts {"enrolled", "waiting" (lead still busy with another meeting of this campaign), "skipped"
    (no allowed time), "closed", "replanned"}. Safe to run any number of times, from any number of processes.
    """
    now = now or timezone.now()
    campaign = Campaign.objects.get(pk=campaign_id)
    counts = {"enrolled": 0, "waiting": 0, "skipped": 0, "closed": 0, "replanned": 0}
    if campaign.kind not in MEETING_KINDS or campaign.status not in LIVE_CAMPAIGN:
        return counts
    counts.update(_keep_true(campaign, now))
    plan_for = plan_reminder if campaign.kind == Kind.REMINDER else plan_follow_up
    for meeting in candidates(campaign, now):
        plan = plan_for(campaign, meeting, now)
        if plan.call_at is None:
            counts["skipped"] += 1
            continue
        if campaign.kind == Kind.REMINDER and plan.call_at > now + ENROLL_AHEAD:
            continue  # enrolled on a later run, nearer the time
        counts[_enroll_one(campaign, meeting, plan, now)] += 1
    return counts


def _enroll_one(campaign: Campaign, meeting: Meeting, plan: Plan, now: dt.datetime) -> str:
    try:
        with transaction.atomic():
            entry, created = CampaignLead.objects.select_for_update().get_or_create(
                campaign=campaign, lead=meeting.lead,
                defaults={"state": CampaignLead.State.PENDING, "next_attempt_at": plan.call_at},
            )
            if not created:
                busy = entry.state in (*CampaignLead.DIALABLE_STATES, CampaignLead.State.CLAIMED)
                if busy or entry.state == CampaignLead.State.DO_NOT_CALL:
                    return "waiting"  # the lead's previous meeting is still being called about
                entry.state, entry.attempts, entry.last_outcome = CampaignLead.State.PENDING, 0, ""
                entry.next_attempt_at, entry.claimed_at = plan.call_at, None
                entry.save(update_fields=["state", "attempts", "last_outcome", "next_attempt_at", "claimed_at",
                                          "updated_at"])
            if DoNotCall.objects.filter(phone=meeting.lead.phone).exists():
                CampaignLead.objects.filter(pk=entry.pk).update(state=CampaignLead.State.DO_NOT_CALL)
            MeetingEnrollment.objects.create(
                campaign=campaign, meeting=meeting, campaign_lead=entry, call_at=plan.call_at, plan=plan.plan
            )
    except IntegrityError:  # another process enrolled it at the same moment
        return "waiting"
    return "enrolled"


def _keep_true(campaign: Campaign, now: dt.datetime) -> dict[str, int]:
    """Close or re-plan enrollments whose call has not been placed yet (the lead's hopper row still waits)."""
    counts = {"closed": 0, "replanned": 0}
    if campaign.kind != Kind.REMINDER:
        return counts
    waiting = (
        MeetingEnrollment.objects.filter(
            campaign=campaign, closed_reason="", campaign_lead__state__in=CampaignLead.DIALABLE_STATES
        )
        .select_related("meeting__lead", "campaign_lead")
        .order_by("-id")
    )
    current: set[int] = set()
    for enrollment in waiting:
        if enrollment.campaign_lead_id in current:
            continue  # an earlier meeting of the lead, called about already: the row now waits for a later one
        current.add(enrollment.campaign_lead_id)
        meeting = enrollment.meeting
        reason = ""
        if meeting.status not in OPEN_STATUSES:
            reason = f"meeting {meeting.get_status_display().lower()} before the call"
        elif meeting.start - REMINDER_MARGIN <= now:
            reason = "the meeting starts too soon to call about it"
        elif enrollment.campaign_lead.attempts == 0:
            plan = plan_reminder(campaign, meeting, now)
            if plan.call_at is None:
                reason = plan.plan
            elif abs(plan.call_at - enrollment.call_at) >= STEP and enrollment.call_at > now:
                MeetingEnrollment.objects.filter(pk=enrollment.pk).update(call_at=plan.call_at, plan=plan.plan)
                CampaignLead.objects.filter(pk=enrollment.campaign_lead_id, attempts=0).update(
                    next_attempt_at=plan.call_at, updated_at=now
                )
                counts["replanned"] += 1
        if reason:
            with transaction.atomic():
                MeetingEnrollment.objects.filter(pk=enrollment.pk).update(closed_reason=reason[:255])
                CampaignLead.objects.filter(
                    pk=enrollment.campaign_lead_id, state__in=CampaignLead.DIALABLE_STATES
                ).update(state=CampaignLead.State.DONE, last_outcome="meeting_changed", updated_at=now)
            counts["closed"] += 1
    return counts


def enroll_all(now: dt.datetime | None = None) -> dict[str, int]:
    """`enroll` every live reminder and follow-up campaign; one campaign's failure does not stop the others."""
    totals: dict[str, int] = {}
    for campaign_id in Campaign.objects.filter(kind__in=MEETING_KINDS, status__in=LIVE_CAMPAIGN).values_list(
        "pk", flat=True
    ):
        try:
            counts = enroll(campaign_id, now)
        except Exception:  # noqa: BLE001 - logged; the next run tries again
            log.exception("campaign %s: meeting enrollment failed", campaign_id)
            continue
        for key, n in counts.items():
            totals[key] = totals.get(key, 0) + n
    return totals
