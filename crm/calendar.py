"""A meeting as an iCalendar invite (.ics) a rep can add to any calendar."""
from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from .models import Meeting

ICS_STATUS = {
    Meeting.Status.BOOKED: "TENTATIVE",
    Meeting.Status.RESCHEDULED: "TENTATIVE",
    Meeting.Status.CONFIRMED: "CONFIRMED",
    Meeting.Status.CANCELED: "CANCELLED",
    Meeting.Status.HELD: "CONFIRMED",
    Meeting.Status.NO_SHOW: "CONFIRMED",
}


def invite(meeting: Meeting, url: str = "") -> bytes:
    lead = meeting.lead
    calendar = Calendar()
    calendar.add("prodid", "-//Parley//Meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"meeting-{meeting.pk}@{_host()}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", meeting.start)
    event.add("dtend", meeting.end)
    event.add("summary", f"Call with {lead.full_name or lead.phone}" + (f" ({lead.company})" if lead.company else ""))
    lines = [f"Phone: {lead.phone}"]
    if lead.email:
        lines.append(f"Email: {lead.email}")
    if meeting.call and meeting.call.summary:
        lines += ["", meeting.call.summary]
    if url:
        lines += ["", url]
        event.add("url", url)
    event.add("description", "\n".join(lines))
    event.add("status", ICS_STATUS.get(meeting.status, "TENTATIVE"))
    event.add("location", vText(str(lead.phone)))
    if lead.email:
        attendee = vCalAddress(f"mailto:{lead.email}")
        attendee.params["cn"] = vText(lead.full_name or lead.email)
        event.add("attendee", attendee, encode=0)
    if meeting.rep.user.email:
        organizer = vCalAddress(f"mailto:{meeting.rep.user.email}")
        organizer.params["cn"] = vText(str(meeting.rep))
        event.add("organizer", organizer, encode=0)
    calendar.add_component(event)
    return calendar.to_ical()


def _host() -> str:
    return settings.PUBLIC_BASE_URL.split("://", 1)[-1].split("/", 1)[0] or "parley"
