"""Celery tasks of the campaigns app: thin wrappers that take ids and call the engine."""
from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import imports


@shared_task(
    name="campaigns.tasks.run_import",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def run_import(import_id: int) -> None:
    """Import or resume one LeadImport; safe to run twice: the engine resumes from its committed checkpoint."""
    imports.run_import(import_id)
