from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from .access import calls_visible_to, meetings_visible_to
from .roles import is_manager


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if is_manager(request.user):
        return redirect("campaign_list")
    return redirect("meeting_list")


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    meetings = meetings_visible_to(request.user).order_by("start")
    return render(request, "crm/meeting_list.html", {"meetings": meetings})


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(meetings_visible_to(request.user), pk=pk)
    return render(request, "crm/meeting_detail.html", {"meeting": meeting})


@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    calls = calls_visible_to(request.user)[:200]
    return render(request, "crm/call_list.html", {"calls": calls})


@login_required
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(calls_visible_to(request.user), pk=pk)
    return render(request, "crm/call_detail.html", {"call": call, "turns": call.turns.all()})
