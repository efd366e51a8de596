"""/api/v1/leads: create one or many (the importer's normalisation and DNC rules), list, read, update, DNC on/off."""
from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Header, Query, Router, Status
from ninja.errors import HttpError

from campaigns import lead_intake
from campaigns.models import Campaign
from crm import leads
from crm.forms import LeadForm
from crm.models import Lead
from crm.roles import ADMINS, MANAGERS

from . import idempotency, outputs
from .auth import require
from .schemas import (
    Error,
    LeadBatch,
    LeadBatchOut,
    LeadCreate,
    LeadCreated,
    LeadOut,
    LeadPage,
    LeadPatch,
    Reason,
    id_param,
    limit_param,
    offset_param,
)

router = Router(tags=["leads"])
IdempotencyKey = Header(None, alias="Idempotency-Key", description="Makes a retried create safe: same key and body, "
                        "same answer; nothing is created twice")


def _campaign(slug: str | None) -> Campaign | None:
    if not slug:
        return None
    campaign = Campaign.objects.filter(slug=slug).first()
    if campaign is None:
        raise HttpError(404, f"No campaign with the slug “{slug}”.")
    return campaign


@router.get("", response=LeadPage, summary="List leads")
def list_leads(request: HttpRequest, q: str = "", campaign: str = "", do_not_call: bool | None = None,
               limit: int = limit_param(), offset: int = offset_param()):
    """Search by name, company or three or more digits of the number (as the Leads page does)."""
    require(request, MANAGERS)
    found = leads.with_dnc(Lead.objects.filter(leads.search_q(q)))
    if campaign:
        found = found.filter(campaign_entries__campaign__slug=campaign)
    if do_not_call is not None:
        found = found.filter(on_dnc=do_not_call)
    return outputs.page(found.order_by("id"), limit, offset, outputs.lead_out)


@router.post("", response={201: LeadCreated, 200: LeadCreated, 400: LeadCreated, 404: Error, 409: Error, 422: Error},
             summary="Create a lead")
def create_lead(request: HttpRequest, payload: LeadCreate, idempotency_key: str | None = IdempotencyKey):
    """201 with the new lead; 200 when the number is already a lead (left unchanged; enrolled in `campaign` if
    given); 400 when the lead is invalid (the reason names the field)."""
    require(request, MANAGERS)
    body = payload.model_dump(mode="json")

    def run() -> tuple[int, dict]:
        item = {k: v for k, v in body.items() if k not in ("campaign", "region")}
        result = lead_intake.create_leads([item], region=body["region"], campaign=_campaign(body["campaign"]),
                                          user=request.user)[0]
        lead = Lead.objects.filter(pk=result.lead_id).first() if result.lead_id else None
        status = 400 if result.error else 201 if result.created else 200
        return status, {"result": outputs.result_out(result), "lead": outputs.lead_out(lead) if lead else None}

    return Status(*idempotency.run_once(request.user, idempotency_key, "POST /leads", body, run))


@router.post("/batch", response={200: LeadBatchOut, 404: Error, 409: Error, 422: Error}, summary="Create many leads")
def create_leads(request: HttpRequest, payload: LeadBatch, idempotency_key: str | None = IdempotencyKey):
    """Up to 1000 leads; each gets a result in request order (created, existing, or invalid with the reason).
    Invalid leads do not stop the valid ones."""
    require(request, MANAGERS)
    body = payload.model_dump(mode="json")

    def run() -> tuple[int, dict]:
        results = lead_intake.create_leads(body["leads"], region=body["region"], campaign=_campaign(body["campaign"]),
                                           user=request.user)
        shaped = [outputs.result_out(r) for r in results]
        counts = {s: sum(1 for r in shaped if r["status"] == s) for s in ("created", "existing", "invalid")}
        return 200, {**counts, "results": shaped}

    return Status(*idempotency.run_once(request.user, idempotency_key, "POST /leads/batch", body, run))


@router.get("/{int:lead_id}", response={200: LeadOut, 404: Error}, summary="Read a lead")
def read_lead(request: HttpRequest, lead_id: int = id_param()):
    require(request, MANAGERS)
    return outputs.lead_out(get_object_or_404(Lead, pk=lead_id))


@router.patch("/{int:lead_id}", response={200: LeadOut, 400: Error, 404: Error}, summary="Update a lead")
def update_lead(request: HttpRequest, payload: LeadPatch, lead_id: int = id_param()):
    """Fields left out stay as they are. The phone number is the lead's identity and cannot change."""
    require(request, MANAGERS)
    lead = get_object_or_404(Lead, pk=lead_id)
    given = payload.model_dump(exclude_unset=True)
    form_fields = {name: given.get(name, getattr(lead, name)) for name in LeadForm.Meta.fields}
    form = LeadForm(data={k: v or "" for k, v in form_fields.items()}, instance=lead)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        raise HttpError(400, f"{field}: {errors[0]}")
    lead = form.save(commit=False)
    if given.get("consent_source") is not None:
        lead.consent_source = given["consent_source"]
    if given.get("attributes") is not None:
        lead.attributes = given["attributes"]
    lead.save()
    return outputs.lead_out(lead)


@router.post("/{int:lead_id}/dnc", response={200: LeadOut, 404: Error}, summary="Put a lead on the do-not-call list")
def add_lead_to_dnc(request: HttpRequest, payload: Reason, lead_id: int = id_param()):
    """Its dialable campaign rows stop at once; a call in flight finishes."""
    require(request, MANAGERS)
    lead = get_object_or_404(Lead, pk=lead_id)
    leads.add_to_dnc(lead, payload.reason)
    return outputs.lead_out(lead)


@router.delete("/{int:lead_id}/dnc", response={200: LeadOut, 404: Error}, summary="Take a lead off the list (Admins)")
def remove_lead_from_dnc(request: HttpRequest, lead_id: int = id_param(),
                         reason: str = Query(..., min_length=1, max_length=255)):
    """An Admin's decision, logged with the reason; campaigns get back the attempts the lead has left."""
    require(request, ADMINS)
    lead = get_object_or_404(Lead, pk=lead_id)
    leads.remove_from_dnc(lead, reason, user=request.user)
    return outputs.lead_out(lead)
