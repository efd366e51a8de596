"""`manage.py rehearse --campaign demo --calls 20 [--json]`: run real calls offline and print what happened.
`manage.py rehearse --inbound +14155550123 --calls 20 [--json]`: simulated callers ring one of our numbers."""
from __future__ import annotations

import json
import logging

from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from voice.rehearsals import rehearse, table


class Command(BaseCommand):
    help = "Rehearse a campaign (or an inbound number) with simulated people over the real voice path, offline."

    def add_arguments(self, parser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--campaign", help="campaign slug")
        target.add_argument("--inbound", metavar="NUMBER", help="one of our numbers (E.164) that callers ring")
        parser.add_argument("--calls", type=int, default=20)
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
        parser.add_argument("--timeout", type=float, default=900.0, help="seconds before giving up waiting")

    def handle(self, *args, campaign: str, inbound: str, calls: int, json: bool, timeout: float, **options) -> None:
        if calls < 1:
            raise CommandError("--calls must be at least 1.")
        if options["verbosity"] < 2:
            # Per-request and per-task lines drown the report; -v 2 brings them back.
            # dialer.controls logs the rehearsal's own start and pause, which the report's last line states.
            for name in ("httpx", "celery.app.trace", "uvicorn.access", "uvicorn.error", "dialer.controls"):
                logging.getLogger(name).setLevel(logging.WARNING)
        if inbound:
            self._inbound(inbound, calls, json, timeout)
            return
        try:
            target = Campaign.objects.get(slug=campaign)
        except Campaign.DoesNotExist:
            raise CommandError(f"No campaign with slug {campaign!r}; `manage.py seed_demo` creates 'demo'.") from None
        report = rehearse(target, calls, timeout=timeout)
        self.stdout.write(_dumps(report.as_json()) if json else table(report))

    def _inbound(self, number: str, calls: int, as_json: bool, timeout: float) -> None:
        from inbound.callers import e164
        from inbound.models import PhoneNumber
        from voice.inbound_rehearsals import rehearse_inbound
        from voice.inbound_rehearsals import table as inbound_table

        target = PhoneNumber.objects.filter(number=e164(number) or number, enabled=True).first()
        if target is None:
            known = ", ".join(str(n) for n in PhoneNumber.objects.values_list("number", flat=True)) or "none"
            raise CommandError(f"No enabled number {number!r} (numbers: {known}); `manage.py seed_demo` creates one.")
        try:
            report = rehearse_inbound(target, calls, timeout=timeout)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(_dumps(report.as_json()) if as_json else inbound_table(report))


def _dumps(data) -> str:
    return json.dumps(data)
