"""`manage.py dial_check +13055550123 [--campaign SLUG] [--at 2026-06-10T00:30:00Z] [--json]`."""
from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from dialer.eligibility import explain_number


def parse_at(value: str) -> dt.datetime:
    """ISO-8601; a naive value or a trailing Z is UTC."""
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CommandError(f"--at {value!r} is not ISO-8601 (e.g. 2026-06-10T00:30:00Z)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class Command(BaseCommand):
    help = "Say whether Parley would dial a number at a moment, and every reason why not."

    def add_arguments(self, parser):
        parser.add_argument("number", help="E.164, e.g. +13055550123")
        parser.add_argument("--campaign", help="campaign slug: also check its window, status and the lead's state")
        parser.add_argument("--at", help="ISO-8601 moment (UTC if no offset); default now")
        parser.add_argument("--json", action="store_true", help="one JSON object")

    def handle(self, *args, **options):
        campaign = None
        if options["campaign"]:
            campaign = Campaign.objects.filter(slug=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"No campaign with slug {options['campaign']!r}")
        at = parse_at(options["at"]) if options["at"] else None
        result = explain_number(options["number"], campaign=campaign, at=at)
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        verdict = "WOULD DIAL" if result["dial"] else "WOULD NOT DIAL"
        self.stdout.write(f"{result['number']}: {verdict} at {result['at']}")
        self.stdout.write(f"  jurisdiction: {result['jurisdiction'] or '(none)'}  local time: {result['local_time']}")
        for rule in result["rules"]:
            self.stdout.write(f"  rule: {rule}")
        for reason in result["reasons"]:
            cite = f" [{reason['citation']}]" if reason["citation"] else ""
            self.stdout.write(f"  - {reason['code']}: {reason['message']}{cite}")
