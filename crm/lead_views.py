"""The leads pages: list with search and filters, a lead's page (edit, calls, campaigns, do-not-call)."""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import leads
from .forms import DoNotCallForm, DoNotCallRemovalForm, LeadFilterForm, LeadForm
from .models import DoNotCall, Lead
from .roles import ADMINS, MANAGERS, is_admin, role_required


@role_required(MANAGERS)
def lead_list(request: HttpRequest) -> HttpResponse:
    filters = LeadFilterForm(request.GET or None)
    found = filters.apply(leads.with_dnc(Lead.objects.all())).order_by("last_name", "first_name", "id")
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "crm/lead_list.html", {"filters": filters, "page": page, "query": query.urlencode()})


@role_required(MANAGERS)
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead, pk=pk)
    form = LeadForm(request.POST or None, instance=lead)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Lead saved.")
        return redirect("lead_detail", pk=lead.pk)
    return _detail(request, lead, form=form)


def _detail(request, lead: Lead, form=None, dnc_form=None, remove_form=None, status: int = 200) -> HttpResponse:
    context = {
        "lead": lead,
        "form": form or LeadForm(instance=lead),
        "dnc": DoNotCall.objects.filter(phone=lead.phone).first(),
        "dnc_form": dnc_form or DoNotCallForm(),
        "remove_form": remove_form or DoNotCallRemovalForm(prefix="remove"),
        "may_remove_dnc": is_admin(request.user),
        "places": leads.places(lead),
        "calls": lead.calls.select_related("campaign").order_by("-created_at", "-id")[:50],
    }
    return render(request, "crm/lead_detail.html", context, status=status)


@require_POST
@role_required(MANAGERS)
def lead_dnc_add(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead, pk=pk)
    form = DoNotCallForm(request.POST)
    if not form.is_valid():
        return _detail(request, lead, dnc_form=form, status=400)
    leads.add_to_dnc(lead, form.cleaned_data["reason"])
    messages.success(request, f"{lead.phone} is on the do-not-call list; no campaign will dial it.")
    return redirect("lead_detail", pk=lead.pk)


@require_POST
@role_required(ADMINS)
def lead_dnc_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Taking a number off the list is an Admin's decision (Managers may only add)."""
    lead = get_object_or_404(Lead, pk=pk)
    form = DoNotCallRemovalForm(request.POST, prefix="remove")
    if not form.is_valid():
        return _detail(request, lead, remove_form=form, status=400)
    if leads.remove_from_dnc(lead, form.cleaned_data["reason"], user=request.user):
        messages.success(request, f"{lead.phone} is off the do-not-call list; its campaigns may dial it again.")
    return redirect("lead_detail", pk=lead.pk)
