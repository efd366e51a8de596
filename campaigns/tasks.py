"""Celery tasks of the campaigns app: thin wrappers that take ids and call the engine."""
from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import import_housekeeping, imports

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(bind=True, name="campaigns.tasks.run_import", acks_late=True, max_retries=5)
def run_import(self, import_id: int) -> None:
    """Import or resume one LeadImport; safe to run twice, it resumes from the committed checkpoint.

    A lost database connection is retried with backoff; anything else, or too many retries, fails the import
    with a message the manager sees, instead of leaving it 'Importing' forever."""
    try:
        imports.run_import(import_id)
    except TRANSIENT as exc:
        if self.request.retries >= self.max_retries or self.request.is_eager:
            imports.fail(import_id, exc)
            raise
        raise self.retry(exc=exc, countdown=2 ** self.request.retries) from exc
    except Exception as exc:
        imports.fail(import_id, exc)
        raise


@shared_task(name="campaigns.tasks.requeue_stalled_imports", ignore_result=True)
def requeue_stalled_imports() -> list[int]:
    """Beat: send again imports queued while the broker was down (IMPORT_REQUEUE_AFTER_SECONDS)."""
    return import_housekeeping.requeue_stalled_imports()


@shared_task(name="campaigns.tasks.delete_old_uploads", ignore_result=True)
def delete_old_uploads() -> list[int]:
    """Beat: delete lead files older than IMPORT_UPLOAD_RETENTION_DAYS."""
    return import_housekeeping.delete_old_uploads()
