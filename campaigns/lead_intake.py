"""Leads given one by one (the REST API) rather than in a file: read by the importer's own `RowReader` (the same
phone normalisation, zones, field limits, e-mail check and do-not-call flag) and written by its `add_to_hopper`
(the same DNC parking and in-campaign duplicate rules). A batch sent to a campaign is recorded as a finished
`LeadImport` named "API: …", so the campaign page lists it beside the uploaded files."""
from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from crm.models import DoNotCall, Lead

from .bulk_hopper import add_to_hopper
from .import_columns import ATTRIBUTE, DO_NOT_CALL, FULL_NAME, PHONE
from .import_errors import write_errors
from .import_rows import RowError, RowReader
from .models import Campaign, CampaignLead, LeadImport

# Field names a client sends, each mapped as the importer maps a column of that name.
FIELDS = ("phone", "first_name", "last_name", "full_name", "company", "email", "timezone", "consent_source",
          "do_not_call")
_TARGETS = {"phone": PHONE, "full_name": FULL_NAME, "do_not_call": DO_NOT_CALL}
MAX_BATCH = 1000


@dataclass
class Result:
    """What became of one given lead, in the order given."""

    index: int
    lead_id: int | None = None
    created: bool = False  # a new lead (False: the number was already known; the lead is left as it was)
    enrolled: bool = False  # added to the campaign now (False: already in it, or no campaign given)
    do_not_call: bool = False  # on the do-not-call list or marked do-not-call: never dialed
    error: RowError | None = None


def read(items: list[dict], region: str) -> tuple[list[tuple], list[Result]]:
    """Rows in `bulk_hopper.ROW_COLUMNS` order (line = index + 1) and a Result per item (errors filled in).

    An item's `attributes` (name → text) become lead attributes, as extra columns of a file do."""
    extra = sorted({k for item in items for k in (item.get("attributes") or {})})
    headers = [*FIELDS, *extra]
    mapping = {f: _TARGETS.get(f, f) for f in FIELDS} | {k: ATTRIBUTE for k in extra}
    reader = RowReader(headers, mapping, region)
    rows, results, seen = [], [], {}
    for index, item in enumerate(items):
        result = Result(index)
        results.append(result)
        attributes = item.get("attributes") or {}
        clash = next((k for k in attributes if k in FIELDS), None)
        if clash:
            result.error = RowError(f"attributes.{clash}", clash, "is a lead field: send it as the field itself")
            continue
        cells = [_cell(item.get(f)) for f in FIELDS] + [_cell(attributes.get(k)) for k in extra]
        try:
            row = reader.read(index + 1, cells)
        except RowError as exc:
            result.error = exc
            continue
        first = seen.setdefault(row[1], index)
        if first != index:
            result.error = RowError("phone", str(item.get("phone", "")), f"duplicate of lead {first} in this request")
            continue
        rows.append(row)
    return rows, results


def _cell(value) -> str:
    if value is True:
        return "true"
    if value is None or value is False:
        return ""
    return str(value)


def create_leads(items: list[dict], *, region: str = "US", campaign: Campaign | None = None,
                 user=None) -> list[Result]:
    """Create the leads not yet known (one per E.164 number) and, with `campaign`, enroll every valid one.

    Without a campaign an item marked `do_not_call` puts its number on the do-not-call list (there is no campaign
    row to park); with one it is parked in that campaign, as a file's compliance column is. Invalid items are
    reported and skip nothing else. Raises ValueError for more than MAX_BATCH items."""
    if len(items) > MAX_BATCH:
        raise ValueError(f"At most {MAX_BATCH} leads per request.")
    region = (campaign.default_region if campaign else region) or "US"
    rows, results = read(items, region)
    by_line = {row[0]: results[row[0] - 1] for row in rows}
    phones = [row[1] for row in rows]
    now = timezone.now()
    with transaction.atomic():
        known = set(Lead.objects.filter(phone__in=phones).values_list("phone", flat=True))
        if campaign is not None:
            _into_campaign(campaign, rows, results, user, now)
        elif rows:
            columns = ("phone", "first_name", "last_name", "company", "email", "timezone", "consent_source")
            Lead.objects.bulk_create(
                [Lead(**dict(zip(columns, row[1:8], strict=True)), attributes=json.loads(row[8])) for row in rows],
                ignore_conflicts=True,
            )
            for row in rows:
                if row[9]:
                    DoNotCall.objects.get_or_create(
                        phone=row[1], defaults={"source": DoNotCall.Source.IMPORT, "reason": "Marked do-not-call (API)"}
                    )
        ids = {str(p): pk for p, pk in Lead.objects.filter(phone__in=phones).values_list("phone", "id")}
        listed = set(DoNotCall.objects.filter(phone__in=phones).values_list("phone", flat=True))
    known, listed = {str(p) for p in known}, {str(p) for p in listed}
    for row in rows:
        result = by_line[row[0]]
        result.lead_id = ids.get(row[1])
        result.created = row[1] not in known
        result.do_not_call = result.do_not_call or bool(row[9]) or row[1] in listed
    return results


def _into_campaign(campaign: Campaign, rows: list[tuple], results: list[Result], user, now) -> None:
    errors = [
        {"line": r.index + 1, "column": r.error.column, "value": r.error.value[:200], "reason": r.error.reason}
        for r in results
        if r.error
    ]
    lead_import = LeadImport.objects.create(
        campaign=campaign,
        uploaded_by=user if user is not None and user.is_authenticated else None,
        original_name=f"API: {len(results)} lead{'s' if len(results) != 1 else ''}",
        status=LeadImport.Status.DONE,
        encoding="api",
        total_rows=len(results),
        processed_rows=len(results),
        invalid=len(errors),
        finished_at=now,
    )
    outcome = add_to_hopper(campaign.pk, lead_import.pk, rows, now)
    duplicates = set(outcome.duplicate_lines)
    for row in rows:
        if row[0] not in duplicates:
            results[row[0] - 1].enrolled = True
    parked = CampaignLead.objects.filter(lead_import=lead_import, state=CampaignLead.State.DO_NOT_CALL)
    line_of = {row[1]: row[0] for row in rows}
    for phone in parked.values_list("lead__phone", flat=True):
        results[line_of[str(phone)] - 1].do_not_call = True
    errors += [{"line": line, "column": "phone", "value": "", "reason": "already in this campaign"}
               for line in sorted(duplicates)]
    errors.sort(key=lambda error: error["line"])
    write_errors(lead_import.pk, errors)  # the import's report lists them like a file's rejected rows
    LeadImport.objects.filter(pk=lead_import.pk).update(
        imported=outcome.imported, dnc=outcome.dnc, duplicates=len(duplicates)
    )


def enroll(campaign: Campaign, leads: list[Lead], user=None) -> list[Result]:
    """Put known leads into `campaign` through the importer's writer: numbers on the do-not-call list are parked,
    leads already in the campaign are left as they are (`enrolled` False)."""
    rows = [
        (i + 1, str(lead.phone), lead.first_name, lead.last_name, lead.company, lead.email, lead.timezone,
         lead.consent_source, json.dumps(lead.attributes or {}), False)
        for i, lead in enumerate(leads)
    ]
    results = [Result(i, lead_id=lead.pk) for i, lead in enumerate(leads)]
    with transaction.atomic():
        _into_campaign(campaign, rows, results, user, timezone.now())
    return results
