"""Who may see which meetings and calls: reps see their own, managers and admins see all."""
from __future__ import annotations

from django.db.models import QuerySet

from .models import Call, Meeting
from .roles import is_manager


def meetings_visible_to(user) -> QuerySet[Meeting]:
    meetings = Meeting.objects.select_related("lead", "rep__user", "call", "campaign")
    if is_manager(user):
        return meetings
    return meetings.filter(rep__user=user)


def calls_visible_to(user) -> QuerySet[Call]:
    calls = Call.objects.select_related("lead", "campaign")
    if is_manager(user):
        return calls
    return calls.filter(meetings__rep__user=user).distinct()
