"""Periodic care of lead imports: re-queue those the broker never took, delete uploads kept past their time."""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from . import imports
from .models import LeadImport

log = logging.getLogger(__name__)


def requeue_stalled_imports(older_than: dt.timedelta | None = None) -> list[int]:
    """Send again every import queued longer ago than `older_than` (default IMPORT_REQUEUE_AFTER_SECONDS, 300 s)
    that no worker has started: the broker was down when it was queued, or lost the message.

    Returns the ids handed to the broker. Safe when the first message is still on its way: run_import resumes
    from the committed checkpoint, and a second run that finds itself overtaken stops without writing."""
    if older_than is None:
        older_than = dt.timedelta(seconds=getattr(settings, "IMPORT_REQUEUE_AFTER_SECONDS", 300))
    now = timezone.now()
    cutoff = now - older_than
    stalled = LeadImport.objects.filter(status=LeadImport.Status.QUEUED).filter(
        Q(queued_at__lt=cutoff) | Q(queued_at__isnull=True, created_at__lt=cutoff)
    )
    sent = []
    for pk in stalled.values_list("pk", flat=True)[:100]:
        # Claim it for this sweep first, so two sweeps running together do not both send it.
        claimed = LeadImport.objects.filter(pk=pk, status=LeadImport.Status.QUEUED).filter(
            Q(queued_at__lt=cutoff) | Q(queued_at__isnull=True)
        ).update(queued_at=now)
        if claimed and imports.send(pk):
            sent.append(pk)
    if sent:
        log.info("re-queued stalled imports %s", sent)
    return sent


def delete_old_uploads(now: dt.datetime | None = None) -> list[int]:
    """Delete the uploaded files of imports created more than IMPORT_UPLOAD_RETENTION_DAYS (default 30) ago.

    Finished imports keep their counts and error report; an upload never confirmed is marked failed ("expired").
    Queued and running imports keep their file. Returns the ids whose file was deleted."""
    days = getattr(settings, "IMPORT_UPLOAD_RETENTION_DAYS", 30)
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    old = (
        LeadImport.objects.filter(created_at__lt=cutoff)
        .exclude(file="")
        .exclude(status__in=[LeadImport.Status.QUEUED, LeadImport.Status.RUNNING])
    )
    deleted = []
    for lead_import in old.iterator(chunk_size=200):
        lead_import.file.delete(save=False)
        fields = ["file"]
        if lead_import.status == LeadImport.Status.UPLOADED:
            lead_import.status = LeadImport.Status.FAILED
            lead_import.failure = (
                f"The upload expired after {days} days before its columns were confirmed; upload the file again."
            )
            lead_import.finished_at = timezone.now()
            fields += ["status", "failure", "finished_at"]
        lead_import.save(update_fields=fields)
        deleted.append(lead_import.pk)
    return deleted
