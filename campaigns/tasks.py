"""Celery tasks of the campaigns app: thin wrappers that take ids and call the engine."""
from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import imports

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
