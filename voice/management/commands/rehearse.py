"""`manage.py rehearse --campaign demo --calls 20 [--json]`: run real calls offline and print what happened."""
from __future__ import annotations

import json
import logging

from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from voice.rehearsals import rehearse, table


class Command(BaseCommand):
    help = "Rehearse a campaign with simulated callees over the real dialer and voice path, offline."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--campaign", required=True, help="campaign slug")
        parser.add_argument("--calls", type=int, default=20)
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
        parser.add_argument("--timeout", type=float, default=900.0, help="seconds before giving up waiting")

    def handle(self, *args, campaign: str, calls: int, json: bool, timeout: float, **options) -> None:
        if calls < 1:
            raise CommandError("--calls must be at least 1.")
        try:
            target = Campaign.objects.get(slug=campaign)
        except Campaign.DoesNotExist:
            raise CommandError(f"No campaign with slug {campaign!r}; `manage.py seed_demo` creates 'demo'.") from None
        if options["verbosity"] < 2:
            # Per-request and per-task lines drown the report; -v 2 brings them back.
            # dialer.controls logs the rehearsal's own start and pause, which the report's last line states.
            for name in ("httpx", "celery.app.trace", "uvicorn.access", "uvicorn.error", "dialer.controls"):
                logging.getLogger(name).setLevel(logging.WARNING)
        report = rehearse(target, calls, timeout=timeout)
        self.stdout.write(_dumps(report.as_json()) if json else table(report))


def _dumps(data) -> str:
    return json.dumps(data)
