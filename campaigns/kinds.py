"""Campaign kinds: prospecting (lead lists), reminder and follow-up (calls about meetings of the campaign's reps).

A reminder or follow-up campaign's hopper is filled by `dialer.enrollment_reminders.enroll` (a beat task), one
`MeetingEnrollment` per meeting; this module answers which meeting a call is about and what the agent is told
about it.
"""
from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from crm.availability import lead_zone
from crm.models import Call, Meeting

from .models import Campaign, MeetingEnrollment

Kind = Campaign.Kind
MEETING_KINDS = (Kind.REMINDER, Kind.FOLLOW_UP)


def calls_about_meetings(campaign: Campaign) -> bool:
    return campaign.kind in MEETING_KINDS


def enrollment_for_call(call: Call) -> MeetingEnrollment | None:
    """The enrollment a call of a reminder/follow-up campaign is about: the latest of its hopper row (a hopper row
    is re-used for a lead's next meeting only once the previous one is finished), or None."""
    return (
        MeetingEnrollment.objects.select_related("meeting__rep__user", "meeting__call", "meeting__lead")
        .filter(campaign_lead_id=call.campaign_lead_id)
        .order_by("-id")
        .first()
    )


def meeting_for_call(call_id: int) -> Meeting | None:
    call = Call.objects.filter(pk=call_id).select_related("campaign").first()
    if call is None or not calls_about_meetings(call.campaign):
        return None
    enrollment = enrollment_for_call(call)
    return enrollment.meeting if enrollment else None


def spoken_time(moment, zone: ZoneInfo) -> str:
    """"Tuesday, March 10 at 2:30 PM" in `zone` (how the agent says a time)."""
    local = moment.astimezone(zone)
    hour = local.strftime("%I:%M %p").lstrip("0").replace(":00 ", " ")
    return f"{local:%A, %B} {local.day} at {hour}"


def spoken_number(e164: str) -> str:
    """A callback number as people say it: national format for the number's own country ("(415) 555-0100")."""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def meeting_facts(meeting: Meeting, campaign: Campaign) -> dict[str, Any]:
    """What the agent knows about the meeting a call is about, in the lead's zone: the shape of
    `CallContext.meeting` and the placeholders script texts may use ({meeting_time}, {rep_name},
    {callback_number}, {meeting_day})."""
    zone = lead_zone(meeting.lead.timezone)
    booking = meeting.call
    summary = (booking.summary if booking else "") or meeting.notes
    return {
        "id": meeting.pk,
        "kind": campaign.kind,
        "status": meeting.status,
        "start": meeting.start.isoformat(),
        "end": meeting.end.isoformat(),
        "lead_timezone": str(zone),
        "meeting_time": spoken_time(meeting.start, zone),
        "meeting_day": f"{meeting.start.astimezone(zone):%A}",
        "meeting_date": meeting.start.astimezone(zone).date().isoformat(),
        "rep_name": str(meeting.rep),
        "rep_first_name": meeting.rep.user.first_name or str(meeting.rep),
        "booked_on": f"{booking.created_at.astimezone(zone):%A, %B} {booking.created_at.astimezone(zone).day}"
        if booking else "",
        "booking_summary": summary,
        "callback_number": spoken_number(campaign.caller_id),
    }


def fill(template: str, facts: dict[str, Any]) -> str:
    """`template` with {placeholders} filled from `facts`; unknown ones are left as they are."""

    class _Keep(dict):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    try:
        return template.format_map(_Keep({k: v for k, v in facts.items() if isinstance(v, str)}))
    except (IndexError, ValueError):
        return template


def enrollment_rows(campaign: Campaign, limit: int = 100) -> list[dict[str, Any]]:
    """The campaign page's "Meetings to call about": each enrollment (soonest call first) with its meeting, the
    planned call time and how it was chosen, and where it stands (waiting, called with outcome, closed and why).
    The call shown is the latest call of the lead's hopper row placed after the enrollment and before the row's
    next enrollment (a later meeting of the same lead)."""
    enrollments = list(
        campaign.meeting_enrollments.select_related("meeting__lead", "meeting__rep__user", "campaign_lead")
        .order_by("-call_at", "-id")[:limit]
    )
    calls: dict[int, list[Call]] = {}
    for call in Call.objects.filter(campaign=campaign, campaign_lead__in=[e.campaign_lead_id for e in enrollments]):
        calls.setdefault(call.campaign_lead_id, [])
        calls[call.campaign_lead_id].append(call)
    until: dict[int, Any] = {}  # enrollment id -> when the next enrollment of its hopper row began (or None)
    next_began: dict[int, Any] = {}  # hopper row id -> when its latest enrollment seen so far began
    for enrollment in sorted(enrollments, key=lambda e: -e.pk):
        until[enrollment.pk] = next_began.get(enrollment.campaign_lead_id)
        next_began[enrollment.campaign_lead_id] = enrollment.created_at
    rows = []
    for enrollment in sorted(enrollments, key=lambda e: (e.call_at, e.pk)):
        entry = enrollment.campaign_lead
        before = until[enrollment.pk]
        call = next(
            (c for c in calls.get(entry.pk, ())
             if c.created_at >= enrollment.created_at and (before is None or c.created_at < before)),
            None,
        )
        if enrollment.closed_reason:
            state = f"Not called: {enrollment.closed_reason}"
        elif call is not None and call.outcome:
            state = call.get_outcome_display()
        elif call is not None:
            state = call.get_status_display()
        else:
            state = entry.get_state_display()
        rows.append({"enrollment": enrollment, "meeting": enrollment.meeting, "call": call, "state": state})
    return rows
