"""Lead CSV import pages for managers: upload, confirm the column mapping, watch progress, read the report."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from crm.roles import MANAGERS, role_required
from crm.spreadsheet import write_csv

from . import imports
from .csv_reading import DELIMITER_NAMES, ENCODING_NAMES, UnreadableFile
from .import_errors import ERROR_COLUMNS, error_rows, in_line_order
from .models import Campaign, LeadImport
from .upload_limits import UploadLimit, declared_too_large, max_upload_bytes, too_large_message


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV or Excel file",
        help_text="CSV (comma, semicolon, tab or pipe separated; UTF-8 or Windows-1252) or an Excel .xlsx workbook.",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.txt,.tsv,.xlsx,text/csv,text/plain,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > max_upload_bytes():
            raise forms.ValidationError(too_large_message())
        return f


class MappingForm(forms.Form):
    """One choice per column of the file, initially what the headers suggested."""

    def __init__(self, *args, headers: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        for i, header in enumerate(headers):
            self.fields[f"col_{i}"] = forms.ChoiceField(label=header, choices=list(imports.TARGETS.items()))

    def clean(self):
        cleaned = super().clean()
        mapping = {h: cleaned.get(f"col_{i}", imports.ATTRIBUTE) for i, h in enumerate(self.headers)}
        for problem in imports.mapping_problems(mapping, self.headers):
            self.add_error(None, problem)
        cleaned["mapping"] = mapping
        return cleaned


ERRORS_PER_PAGE = 200  # rejected rows per page of the report; the CSV download has them all

# The stylesheet's badge colours, by import status.
BADGES = {"uploaded": "draft", "queued": "paused", "running": "live", "done": "running", "failed": "failed"}


def _get(slug: str, pk: int, *deferred: str) -> LeadImport:
    found = LeadImport.objects.select_related("campaign").defer(*deferred)
    return get_object_or_404(found, pk=pk, campaign__slug=slug)


@role_required(MANAGERS)
def import_list(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    rows = [(i, BADGES.get(i.status, "")) for i in campaign.imports.select_related("uploaded_by")[:50]]
    context = {"campaign": campaign, "rows": rows}
    return render(request, "campaigns/imports/list.html", context)


@csrf_exempt  # the CSRF check reads the body: it runs in _upload, after the size limit is in place
@role_required(MANAGERS)
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """The upload form; a file over the limit is refused by its declared length unread, or stopped mid-way."""
    campaign = get_object_or_404(Campaign, slug=slug)
    if campaign.kind != Campaign.Kind.PROSPECTING:  # its hopper is its reps' meetings (campaigns/kinds.py)
        messages.error(request, f"{campaign.name} calls about its reps' meetings, enrolled automatically; "
                                "lead lists go into a prospecting campaign.")
        return redirect("campaign_detail", slug=campaign.slug)
    if request.method == "POST" and declared_too_large(request.META):
        return render(request, "campaigns/imports/upload.html", {"campaign": campaign, "form": _too_large()})
    limit = UploadLimit(request)
    request.upload_handlers.insert(0, limit)
    return _upload(request, campaign, limit)


def _too_large() -> UploadForm:
    form = UploadForm({}, {})
    form.full_clean()
    form.errors["file"] = form.error_class([too_large_message()])
    return form


@csrf_protect
def _upload(request: HttpRequest, campaign: Campaign, limit: UploadLimit) -> HttpResponse:
    slug = campaign.slug
    form = UploadForm(request.POST or None, request.FILES or None)
    if limit.too_large:
        form = _too_large()
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            lead_import = imports.start_import(campaign, upload.read(), upload.name, request.user)
        except UnreadableFile as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("lead_import_mapping", slug=slug, pk=lead_import.pk)
    return render(request, "campaigns/imports/upload.html", {"campaign": campaign, "form": form})


@role_required(MANAGERS)
@require_http_methods(["GET", "POST"])
def import_mapping(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    lead_import = _get(slug, pk)
    if lead_import.status != LeadImport.Status.UPLOADED:
        return redirect("lead_import_detail", slug=slug, pk=pk)
    sheets = imports.sheet_names(lead_import)
    if request.method == "POST" and "sheet" in request.POST:
        try:
            imports.pick_sheet(lead_import, request.POST["sheet"])
        except UnreadableFile as exc:
            messages.error(request, str(exc))
        return redirect("lead_import_mapping", slug=slug, pk=pk)
    table = imports.open_table(lead_import)
    initial = {f"col_{i}": lead_import.mapping.get(h, imports.ATTRIBUTE) for i, h in enumerate(table.headers)}
    form = MappingForm(request.POST or None, headers=table.headers, initial=initial)
    if request.method == "POST" and form.is_valid():
        imports.queue(lead_import, form.cleaned_data["mapping"])
        return redirect("lead_import_detail", slug=slug, pk=pk)
    columns = [
        (form[f"col_{i}"], [row[i] if i < len(row) else "" for row in table.sample[:3]])
        for i in range(len(table.headers))
    ]
    context = {
        "campaign": lead_import.campaign,
        "lead_import": lead_import,
        "form": form,
        "columns": columns,
        "phone_order": imports.phone_order(lead_import.mapping),
        "dnc_columns": [h for h in table.headers if lead_import.mapping.get(h) == imports.DO_NOT_CALL],
        "sheets": sheets,
        "sheet": lead_import.sheet or (sheets[0] if sheets else ""),
        "delimiter": DELIMITER_NAMES.get(lead_import.delimiter, lead_import.delimiter),
        "encoding": ENCODING_NAMES.get(lead_import.encoding, lead_import.encoding),
    }
    return render(request, "campaigns/imports/mapping.html", context)


@role_required(MANAGERS)
def import_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The live progress bar while the import runs, then its report: rejected rows ERRORS_PER_PAGE a page
    (?page=N; a page out of range shows the last)."""
    lead_import = _get(slug, pk)
    if lead_import.status == LeadImport.Status.UPLOADED:
        return redirect("lead_import_mapping", slug=slug, pk=pk)
    page = Paginator(in_line_order(lead_import), ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "campaign": lead_import.campaign,
        "lead_import": lead_import,
        "finished": lead_import.status in (LeadImport.Status.DONE, LeadImport.Status.FAILED),
        "badge": BADGES.get(lead_import.status, ""),
        "progress": _progress(lead_import),
        "page": page,
    }
    return render(request, "campaigns/imports/detail.html", context)


@role_required(MANAGERS)
def import_progress(request: HttpRequest, slug: str, pk: int) -> JsonResponse:
    """Counters only: the row errors (their own table) are not read each poll."""
    return JsonResponse(_progress(_get(slug, pk, "mapping", "failure")))


@role_required(MANAGERS)
def import_errors(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Every rejected row (line, column, value, reason), formula-neutralised for spreadsheets."""
    lead_import = _get(slug, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response.write("\ufeff")  # Excel then reads UTF-8 names correctly
    write_csv(response, ERROR_COLUMNS, error_rows(lead_import))
    response["Content-Disposition"] = f'attachment; filename="import-{lead_import.pk}-errors.csv"'
    return response


def _progress(lead_import: LeadImport) -> dict:
    total, done = lead_import.total_rows, lead_import.processed_rows
    finished = lead_import.status in (LeadImport.Status.DONE, LeadImport.Status.FAILED)
    return {
        "status": lead_import.status,
        "status_label": lead_import.get_status_display(),
        "done": done,
        "total": total,
        "percent": 100 if finished else (round(100 * done / total, 1) if total else 0),
        "finished": finished,
        "report_url": reverse("lead_import_detail", kwargs={"slug": lead_import.campaign.slug, "pk": lead_import.pk}),
    }
