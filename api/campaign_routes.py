"""/api/v1/campaigns: list, stats, enroll leads, start / pause / resume / stop (dialer/controls.py)."""
from __future__ import annotations

from typing import Literal

from django.db.models import Count
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Header, Router, Status
from ninja.errors import HttpError

from campaigns import lead_intake, readiness, stats
from campaigns.models import Campaign, CampaignLead
from crm import profiles
from crm.models import Lead
from crm.roles import MANAGERS
from dialer import controls

from . import idempotency, outputs
from .auth import require
from .schemas import (
    CampaignPage,
    CampaignStats,
    ControlOut,
    EnrollIn,
    EnrollOut,
    Error,
    limit_param,
    offset_param,
)

router = Router(tags=["campaigns"])
CONTROLS = {
    "start": controls.start_campaign,
    "pause": controls.pause_campaign,
    "resume": controls.resume_campaign,
    "stop": controls.stop_campaign,
}


@router.get("", response=CampaignPage, summary="List campaigns")
def list_campaigns(request: HttpRequest, status: str = "", limit: int = limit_param(), offset: int = offset_param()):
    require(request, MANAGERS)
    campaigns = Campaign.objects.select_related("script").order_by("-created_at", "-id")
    if status:
        campaigns = campaigns.filter(status=status)
    return outputs.page(campaigns, limit, offset, outputs.campaign_out)


@router.get("/{slug}", response={200: CampaignStats, 404: Error}, summary="A campaign and its numbers")
def campaign_stats(request: HttpRequest, slug: str):
    """The funnel (leads reaching each stage), outcomes of finished calls, leads by hopper state, calls in flight."""
    require(request, MANAGERS)
    campaign = get_object_or_404(Campaign.objects.select_related("script"), slug=slug)
    row = stats.with_progress(Campaign.objects.filter(pk=campaign.pk)).get()
    hopper = CampaignLead.objects.filter(campaign=campaign).order_by().values_list("state").annotate(n=Count("id"))
    return {
        "campaign": outputs.campaign_out(campaign),
        "funnel": {k: getattr(row, k) for k in ("total_leads", "dialed", "answered", "conversations", "booked")},
        "outcomes": {o.outcome: o.count for o in stats.outcomes(campaign)},
        "hopper": dict(hopper),
        "calls_in_flight": stats.calls_in_flight(campaign).count(),
    }


@router.post("/{slug}/enroll", response={200: EnrollOut, 404: Error, 409: Error, 422: Error},
             summary="Enroll known leads in a campaign")
def enroll(request: HttpRequest, slug: str, payload: EnrollIn,
           idempotency_key: str | None = Header(None, alias="Idempotency-Key")):
    """Leads already in the campaign stay as they are; numbers on the do-not-call list are parked, never dialed.
    404 names lead ids that do not exist (nothing is enrolled then)."""
    require(request, MANAGERS)
    campaign = get_object_or_404(Campaign, slug=slug)
    body = payload.model_dump(mode="json")

    def run() -> tuple[int, dict]:
        ids = list(dict.fromkeys(body["lead_ids"]))
        found = Lead.objects.in_bulk(ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise HttpError(404, f"No lead with id {', '.join(map(str, missing[:20]))}.")
        results = lead_intake.enroll(campaign, [found[i] for i in ids], user=request.user)
        shaped = [outputs.result_out(r) | {"status": "existing"} for r in results]
        return 200, {
            "enrolled": sum(r.enrolled for r in results),
            "already_in_campaign": sum(not r.enrolled for r in results),
            "do_not_call": sum(r.do_not_call for r in results),
            "results": shaped,
        }

    return Status(*idempotency.run_once(request.user, idempotency_key, f"POST /campaigns/{slug}/enroll", body, run))


@router.post("/{slug}/{action}", response={200: ControlOut, 404: Error, 409: Error},
             summary="Start, pause, resume or stop a campaign")
def control(request: HttpRequest, slug: str, action: Literal["start", "pause", "resume", "stop"]):
    """409 when the change is not possible from the campaign's state (the detail says why). Pause and stop take
    effect at once for new calls; calls already talking finish."""
    require(request, MANAGERS)
    campaign = get_object_or_404(Campaign.objects.select_related("script"), slug=slug)
    try:
        CONTROLS[action](campaign, request.user)
    except controls.CampaignControlError as exc:
        raise HttpError(409, str(exc)) from exc
    zone = profiles.zone_for(request.user)
    warning = action in ("start", "resume") and readiness.nothing_to_dial(campaign, zone)
    return {"campaign": outputs.campaign_out(campaign), "warning": warning or None}
