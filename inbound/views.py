"""Pages of inbound calling: the numbers (Managers see them; Admins edit them in the admin) and their tickets."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from crm.roles import MANAGERS, role_required

from . import hours
from .models import PhoneNumber, Ticket, Transfer
from .stats import panel


@role_required(MANAGERS)
def number_list(request: HttpRequest) -> HttpResponse:
    numbers = list(PhoneNumber.objects.select_related("script").prefetch_related("reps__user"))
    rows = [{"number": n, "hours": hours.hours_text(n), "today": panel(PhoneNumber.objects.filter(pk=n.pk))}
            for n in numbers]
    return render(request, "inbound/number_list.html", {"rows": rows, "figures": panel()})


@role_required(MANAGERS)
def number_detail(request: HttpRequest, pk: int) -> HttpResponse:
    number = get_object_or_404(PhoneNumber.objects.select_related("script", "callback_campaign"), pk=pk)
    context = {
        "number": number,
        "hours": hours.hours_text(number),
        "today": panel(PhoneNumber.objects.filter(pk=pk)),
        "tickets": Ticket.objects.filter(phone_number=number).select_related("lead", "call")[:50],
        "transfers": Transfer.objects.filter(call__phone_number=number).select_related("call__lead")[:20],
        "calls": number.calls.select_related("lead").order_by("-created_at")[:20],
    }
    return render(request, "inbound/number_detail.html", context)
