"""python manage.py import_leads --campaign <slug> <file.csv|file.xlsx> [--sheet NAME] [--json]: the web
import's engine, run in place."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campaigns import imports
from campaigns.csv_reading import UnreadableFile
from campaigns.models import Campaign, LeadImport


class Command(BaseCommand):
    help = "Import a CSV or .xlsx lead list into a campaign; bad rows are reported, not fatal (exit 2 if unreadable)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--campaign", required=True, help="Campaign slug")
        parser.add_argument("file", help="CSV or .xlsx file to import")
        parser.add_argument("--sheet", default="", help="Sheet of an .xlsx workbook (default: the first)")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON")

    def handle(self, *args, **options) -> None:
        try:
            campaign = Campaign.objects.get(slug=options["campaign"])
        except Campaign.DoesNotExist:
            raise CommandError(f"No campaign with slug {options['campaign']!r}.") from None
        if campaign.kind != Campaign.Kind.PROSPECTING:
            raise CommandError(f"{campaign.slug} is a {campaign.get_kind_display().lower()} campaign: it calls about "
                               "its reps' meetings, enrolled automatically; import leads into a prospecting campaign.")
        path = Path(options["file"])
        try:
            data = path.read_bytes()
            lead_import = imports.start_import(campaign, data, path.name, sheet=options["sheet"])
        except (OSError, UnreadableFile) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            sys.stderr.write(f"{path}: {reason}\n")
            sys.exit(2)
        lead_import = imports.run_import(lead_import.pk)
        if lead_import.status == LeadImport.Status.FAILED:
            sys.stderr.write(f"{path}: {' '.join(lead_import.failure.split())}\n")
            sys.exit(2)
        result = imports.report(lead_import)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write(
            f"Import {lead_import.pk} of {path.name} into {campaign.slug}: {result['total_rows']} rows, "
            f"{result['imported']} imported ({result['dnc']} on the do-not-call list), "
            f"{result['duplicates']} duplicates, {result['invalid']} invalid."
        )
        for e in result["errors"]:
            self.stdout.write(f"  line {e['line']}: {e['column']} {e['value']!r}: {e['reason']}")
