"""`manage.py dial_check +13055550123 [--campaign SLUG] [--at 2026-06-10T00:30:00Z] [--json]`.

Exit status: 0 it would dial, 1 it would not (the reasons are printed), 2 usage error (bad --at, unknown
campaign, bad arguments), so scripts can branch on it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from dialer.eligibility import explain_number

WOULD_DIAL, WOULD_NOT_DIAL, USAGE_ERROR = 0, 1, 2


def parse_at(value: str) -> dt.datetime:
    """ISO-8601; a naive value or a trailing Z is UTC."""
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CommandError(
            f"--at {value!r} is not ISO-8601 (e.g. 2026-06-10T00:30:00Z)", returncode=USAGE_ERROR
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class Command(BaseCommand):
    help = (
        "Say whether Parley would dial a number at a moment, and every reason why not. "
        "Exit status: 0 it would dial; 1 it would not; 2 usage error."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.epilog = "exit status:\n  0  it would dial\n  1  it would not (reasons printed)\n  2  usage error"
        return parser

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
                raise CommandError(f"No campaign with slug {options['campaign']!r}", returncode=USAGE_ERROR)
        at = parse_at(options["at"]) if options["at"] else None
        result = explain_number(options["number"], campaign=campaign, at=at)
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self._write_text(result)
        if not result["dial"]:
            raise SystemExit(WOULD_NOT_DIAL)

    def _write_text(self, result: dict) -> None:
        moment = dt.datetime.fromisoformat(result["at"])
        verdict = "WOULD DIAL" if result["dial"] else "WOULD NOT DIAL"
        self.stdout.write(f"{result['number']}: {verdict} at {moment:%Y-%m-%d %H:%M} UTC")
        local = "(unknown zone)"
        if result["zones"]:
            zone = ZoneInfo(result["zones"][0])
            there = moment.astimezone(zone)
            local = f"{there:%a} {there.day} {there:%b %H:%M} {zone.key}"
        self.stdout.write(f"  jurisdiction: {result['jurisdiction'] or '(none)'}  local time: {local}")
        for rule in result["rules"]:
            self.stdout.write(f"  rule: {rule}")
        for reason in result["reasons"]:
            cite = f" [{reason['citation']}]" if reason["citation"] else ""
            self.stdout.write(f"  - {reason['code']}: {reason['message']}{cite}")
