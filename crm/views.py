from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from . import meeting_changes
from .access import calls_visible_to, meetings_visible_to
from .calendar import invite
from .exports import calls_csv, meetings_csv
from .forms import AvailabilityFormSet, CallFilterForm, RepSettingsForm, RescheduleForm
from .meetings import ACTIONS, MeetingError, agenda, available_actions, reschedule
from .models import Availability, Rep
from .recordings import recording_response
from .roles import REPS, is_manager, role_required
from .timelines import call_timeline
from .transcripts import more_to_come, qualification_answers, transcript_lines


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if is_manager(request.user):
        return redirect("campaign_list")
    return redirect("meeting_list")


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    meetings = list(meetings_visible_to(request.user))
    context = {"groups": agenda(meetings)}
    return render(request, "crm/meeting_list.html", context)


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(meetings_visible_to(request.user), pk=pk)
    call = meeting.call
    turns = list(call.turns.all()) if call else []
    context = {
        "meeting": meeting,
        "call": call,
        "tz": meeting.rep.timezone,
        "lead_tz": meeting.lead.zones[0].key if meeting.lead.timezone else "",
        "lines": transcript_lines(turns),
        "answers": qualification_answers(call) if call else [],
        "actions": available_actions(meeting),
        "reschedule_form": RescheduleForm(zone=ZoneInfo(meeting.rep.timezone)),
        "history": meeting_changes.history(meeting),
    }
    return render(request, "crm/meeting_detail.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def meeting_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """POST does the action; GET of "cancel" is the confirmation page that says what canceling does."""
    meeting = get_object_or_404(meetings_visible_to(request.user), pk=pk)
    if action not in ACTIONS and action != "reopen":
        raise Http404("No such meeting action")
    if request.method == "GET":
        if action != "cancel":
            return HttpResponseNotAllowed(["POST"])
        return render(request, "crm/meeting_cancel.html", {"meeting": meeting, "tz": meeting.rep.timezone})
    try:
        meeting = meeting_changes.act(meeting, action, user=request.user)
    except MeetingError as exc:
        messages.error(request, str(exc))
    else:
        if action == "reopen":
            messages.success(request, "Meeting reopened: it is booked again at the same time.")
        elif action == "cancel":
            messages.success(request, "Meeting canceled; the slot is free. Reopen it if that was a mistake.")
        else:
            messages.success(request, f"Meeting marked {meeting.get_status_display().lower()}.")
    return redirect("meeting_detail", pk=pk)


@require_POST
@login_required
def meeting_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(meetings_visible_to(request.user), pk=pk)
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the new date and time, like 2026-12-01 14:30.")
        return redirect("meeting_detail", pk=pk)
    # The form shows the rep's own clock, whoever is looking.
    start = form.cleaned_data["start"].replace(tzinfo=None)
    start = timezone.make_aware(start, ZoneInfo(meeting.rep.timezone))
    before, old_start = meeting.status, meeting.start
    try:
        moved = reschedule(meeting, start)
    except MeetingError as exc:
        messages.error(request, str(exc))
    else:
        meeting_changes.record(moved.meeting, meeting_changes.Kind.RESCHEDULED, user=request.user,
                               from_status=before, old_start=old_start, new_start=moved.meeting.start)
        messages.success(request, moved.message)
    return redirect("meeting_detail", pk=pk)


@login_required
def meeting_invite(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(meetings_visible_to(request.user), pk=pk)
    url = request.build_absolute_uri(reverse("meeting_detail", args=[meeting.pk]))
    response = HttpResponse(invite(meeting, url=url), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response


@role_required(REPS)
def availability_edit(request: HttpRequest) -> HttpResponse:
    rep = Rep.objects.filter(user=request.user).first()
    if rep is None:
        return render(request, "crm/availability.html", {"rep": None}, status=404)
    queryset = Availability.objects.filter(rep=rep).order_by("weekday", "start")
    settings_form = RepSettingsForm(request.POST or None, instance=rep, prefix="rep")
    formset = AvailabilityFormSet(request.POST or None, queryset=queryset, prefix="hours")
    if request.method == "POST" and settings_form.is_valid() and formset.is_valid():
        with transaction.atomic():
            settings_form.save()
            for block in formset.save(commit=False):
                block.rep = rep
                block.save()
            for block in formset.deleted_objects:
                block.delete()
        messages.success(request, "Your working hours are saved; new bookings use them.")
        return redirect("availability_edit")
    return render(request, "crm/availability.html", {"rep": rep, "settings_form": settings_form, "formset": formset})


@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    filters = CallFilterForm(request.GET or None)
    calls = filters.apply(calls_visible_to(request.user).select_related("campaign", "lead", "phone_number"))
    page = Paginator(calls.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filters": filters, "page": page, "query": query.urlencode()}
    return render(request, "crm/call_list.html", context)


@login_required
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(calls_visible_to(request.user).select_related("script_version__script"), pk=pk)
    turns = list(call.turns.all())
    context = {
        "call": call,
        "lines": transcript_lines(turns),
        "answers": qualification_answers(call),
        "events": call_timeline(call),
        "meetings": call.meetings.select_related("rep__user"),
        "live": more_to_come(call),
    }
    return render(request, "crm/call_detail.html", context)


@login_required
def call_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The part of the call page htmx polls during a call: status and the turns saved so far."""
    call = get_object_or_404(calls_visible_to(request.user), pk=pk)
    lines = transcript_lines(list(call.turns.all()))
    context = {"call": call, "lines": lines, "live": more_to_come(call), "oob": True}
    return render(request, "crm/_call_live.html", context)


@login_required
def call_recording(request: HttpRequest, pk: int) -> HttpResponse:
    """The recording, only to those who may see the call (no public media URL exists)."""
    call = get_object_or_404(calls_visible_to(request.user), pk=pk)
    if not call.recording:
        raise Http404("This call has no recording")
    try:
        return recording_response(request, call.recording)
    except FileNotFoundError as exc:
        raise Http404("The recording file is missing") from exc


@login_required
def export_meetings(request: HttpRequest) -> HttpResponse:
    return _csv_download(meetings_csv(meetings_visible_to(request.user)), "meetings")


@login_required
def export_calls(request: HttpRequest) -> HttpResponse:
    filters = CallFilterForm(request.GET or None)
    calls = filters.apply(calls_visible_to(request.user)).order_by("-created_at", "-id")
    return _csv_download(calls_csv(calls), "calls")


def _csv_download(lines, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="parley-{name}-{stamp}.csv"'
    return response

