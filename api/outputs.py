"""Model rows as the API's JSON (the shapes of api/schemas.py), and limit/offset pages of them.

Calls and meetings use the webhook payload builders, so an event and the API say the same thing the same way."""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db.models import QuerySet

from campaigns.lead_intake import Result
from campaigns.models import Campaign, CampaignLead
from crm.models import DoNotCall, Lead
from webhooks.payloads import call_data, meeting_data  # noqa: F401 - re-exported for the routes


def page(queryset: QuerySet, limit: int, offset: int, shape: Callable) -> dict:
    """{"count", "next_offset", "items"}: `limit` rows (at most API_MAX_PAGE_SIZE) from `offset`."""
    limit = max(1, min(limit, settings.API_MAX_PAGE_SIZE))
    count = queryset.count()
    rows = list(queryset[offset : offset + limit])
    following = offset + limit
    return {"count": count, "next_offset": following if following < count else None, "items": [shape(r) for r in rows]}


def lead_out(lead: Lead) -> dict:
    entries = CampaignLead.objects.filter(lead=lead).select_related("campaign").order_by("id")
    on_dnc = getattr(lead, "on_dnc", None)
    if on_dnc is None:
        on_dnc = DoNotCall.objects.filter(phone=lead.phone).exists()
    return {
        "id": lead.pk,
        "phone": str(lead.phone),
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "company": lead.company,
        "email": lead.email,
        "timezone": lead.timezone,
        "consent_source": lead.consent_source,
        "jurisdiction": lead.jurisdiction,
        "attributes": lead.attributes or {},
        "do_not_call": bool(on_dnc),
        "created_at": lead.created_at,
        "campaigns": [
            {
                "campaign": e.campaign.slug,
                "state": e.state,
                "attempts": e.attempts,
                "next_attempt_at": e.next_attempt_at,
                "last_outcome": e.last_outcome,
            }
            for e in entries
        ],
    }


def result_out(result: Result) -> dict:
    error = result.error
    if error is not None:
        status = "invalid"
    else:
        status = "created" if result.created else "existing"
    return {
        "index": result.index,
        "status": status,
        "lead_id": result.lead_id,
        "enrolled": result.enrolled,
        "do_not_call": result.do_not_call,
        "error": {"field": error.column, "value": str(error.value)[:200], "reason": error.reason} if error else None,
    }


def campaign_out(campaign: Campaign) -> dict:
    return {
        "slug": campaign.slug,
        "name": campaign.name,
        "status": campaign.status,
        "script": campaign.script.slug,
        "caller_id": campaign.caller_id,
        "default_region": campaign.default_region,
        "default_timezone": campaign.default_timezone,
        "calling_days": campaign.calling_days,
        "window_start": campaign.window_start,
        "window_end": campaign.window_end,
        "max_concurrency": campaign.max_concurrency,
        "max_attempts": campaign.max_attempts,
        "created_at": campaign.created_at,
    }
