"""/api/v1/dnc: is a number on the do-not-call list; put one on it with a reason (Managers)."""
from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.errors import HttpError

from campaigns.phones import BadPhone, PhoneBook
from crm import leads
from crm.models import DoNotCall, Lead
from crm.roles import MANAGERS

from .auth import require
from .schemas import DncIn, DncOut, Error

router = Router(tags=["do-not-call"])


def _e164(raw: str, region: str) -> str:
    """The number in E.164 by the importer's normaliser, or 400 with its reason."""
    try:
        return PhoneBook(region).normalise(raw).e164
    except BadPhone as exc:
        raise HttpError(400, f"Invalid phone number: {exc}") from exc


def _out(phone: str) -> dict:
    entry = DoNotCall.objects.filter(phone=phone).first()
    return {
        "phone": phone,
        "on_list": entry is not None,
        "source": entry.source if entry else None,
        "reason": entry.reason if entry else None,
        "created_at": entry.created_at if entry else None,
    }


@router.get("/{phone}", response={200: DncOut, 400: Error}, summary="Check a number")
def check(request: HttpRequest, phone: str, region: str = Query("US", min_length=2, max_length=2)):
    """`phone` in any common format (URL-encode the +, or send digits with the country code)."""
    require(request, MANAGERS)
    return _out(_e164(phone, region))


@router.post("", response={201: DncOut, 200: DncOut, 400: Error}, summary="Put a number on the list")
def add(request: HttpRequest, payload: DncIn):
    """201 when added, 200 when it was already listed (its first entry is kept). A known lead's dialable campaign
    rows stop at once, as on the lead's page."""
    require(request, MANAGERS)
    phone = _e164(payload.phone, payload.region)
    with transaction.atomic():
        existed = DoNotCall.objects.filter(phone=phone).exists()
        lead = Lead.objects.filter(phone=phone).first()
        if lead is not None:
            leads.add_to_dnc(lead, payload.reason)
        else:
            DoNotCall.objects.get_or_create(
                phone=phone, defaults={"source": DoNotCall.Source.MANUAL, "reason": payload.reason.strip()[:255]}
            )
    return Status(200 if existed else 201, _out(phone))
