"""Admins' pages for outbound webhooks: endpoints (URL, events, secret), their delivery log, replay, test event."""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from crm.roles import ADMINS, role_required

from . import deliveries, events, signing
from .forms import EndpointForm
from .models import WebhookDelivery, WebhookEndpoint


@role_required(ADMINS)
def endpoint_list(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None, initial={"events": list(events.EVENTS), "active": True})
    if request.method == "POST" and form.is_valid():
        endpoint = form.save(commit=False)
        endpoint.secret = signing.new_secret()
        endpoint.created_by = request.user
        endpoint.save()
        messages.success(request, "Endpoint added. Give its signing secret to the receiver; it verifies every event.")
        return redirect("webhook_detail", pk=endpoint.pk)
    endpoints = WebhookEndpoint.objects.all()
    return render(request, "webhooks/endpoint_list.html", {"form": form, "endpoints": endpoints})


@role_required(ADMINS)
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    form = EndpointForm(request.POST or None, instance=endpoint)
    if request.method == "POST" and "rotate" in request.POST:
        endpoint.secret = signing.new_secret()
        endpoint.save(update_fields=["secret"])
        messages.success(request, "New signing secret; the old one no longer signs anything.")
        return redirect("webhook_detail", pk=pk)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Endpoint saved.")
        return redirect("webhook_detail", pk=pk)
    log = endpoint.deliveries.order_by("-created_at", "-id")
    page = Paginator(log, 50).get_page(request.GET.get("page"))
    return render(request, "webhooks/endpoint_detail.html", {"endpoint": endpoint, "form": form, "page": page})


@require_POST
@role_required(ADMINS)
def endpoint_test(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    events.send_test(endpoint)
    messages.success(request, "Test event sent; its delivery shows below in a moment.")
    return redirect("webhook_detail", pk=pk)


@require_POST
@role_required(ADMINS)
def delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery, pk=pk)
    again = deliveries.replay(delivery)
    from .sender import send_soon

    transaction.on_commit(lambda: send_soon([again.pk]))
    messages.success(request, f"Event {delivery.event} sent again (delivery {again.pk}).")
    return redirect("webhook_detail", pk=delivery.endpoint_id)
