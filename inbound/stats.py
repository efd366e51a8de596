"""Figures for the inbound panel and the numbers page: today's inbound calls in the viewer's day."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from crm.models import Call

from .models import PhoneNumber, Ticket, Transfer

AGENT_OUTCOMES = (
    Call.Outcome.BOOKED, Call.Outcome.ANSWERED, Call.Outcome.TICKET, Call.Outcome.CALLBACK,
    Call.Outcome.CONVERSATION, Call.Outcome.NOT_INTERESTED, Call.Outcome.WRONG_NUMBER, Call.Outcome.OPT_OUT,
)  # fmt: skip


def today_start(now: dt.datetime | None = None) -> dt.datetime:
    """Midnight of today in the current time zone (the viewer's, set per request)."""
    local = timezone.localtime(now or timezone.now())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def panel(numbers: QuerySet[PhoneNumber] | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """{"calls", "answered_by_agent", "booked", "transferred", "tickets", "turned_away", "live"} for inbound
    calls since midnight (all numbers, or `numbers`). Answered by the agent = the agent handled it to an end
    (booked, answered, ticket, callback, conversation…); turned away = at capacity or after-hours message."""
    calls = Call.objects.filter(direction=Call.Direction.INBOUND, created_at__gte=today_start(now))
    if numbers is not None:
        calls = calls.filter(phone_number__in=numbers)
    figures = calls.aggregate(
        calls=Count("pk"),
        answered_by_agent=Count("pk", filter=Q(outcome__in=AGENT_OUTCOMES)),
        booked=Count("pk", filter=Q(outcome=Call.Outcome.BOOKED)),
        transferred=Count("pk", filter=Q(outcome=Call.Outcome.TRANSFERRED)),
        turned_away=Count("pk", filter=Q(outcome__in=(Call.Outcome.OVER_CAPACITY, Call.Outcome.AFTER_HOURS))),
        live=Count("pk", filter=Q(status__in=Call.ACTIVE_STATUSES, finalized_at__isnull=True)),
    )
    figures["tickets"] = Ticket.objects.filter(call__in=calls).count()
    figures["transfers_connected"] = Transfer.objects.filter(call__in=calls, status=Transfer.Status.CONNECTED).count()
    return figures
