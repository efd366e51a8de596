from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from campaigns.demo import DEMO_PASSWORD, seed_demo
from inbound.demo import DEMO_NUMBER


class Command(BaseCommand):
    help = "Create or top up the demo world: users for each role, reps, a script and the 'demo' campaign."

    def add_arguments(self, parser):
        parser.add_argument("--leads", type=int, default=60, help="Leads to keep waiting in the demo campaign")
        parser.add_argument(
            "--demo", action="store_true",
            help=f"Create the demo users (password '{DEMO_PASSWORD}') even with DEBUG off; never on a reachable server",
        )

    def handle(self, *args, leads: int, demo: bool = False, **options):
        if not (settings.DEBUG or demo):
            raise CommandError(
                f"seed_demo creates admin, manager and rep users with the public password '{DEMO_PASSWORD}'; "
                "with DEBUG off it needs --demo (never on a server others can reach)."
            )
        campaign = seed_demo(leads=leads)
        waiting = campaign.hopper.filter(state__in=["pending", "retry"]).count()
        self.stdout.write(
            f"Demo campaign '{campaign.slug}' ready with {waiting} leads waiting; demo inbound number "
            f"{DEMO_NUMBER} (`manage.py rehearse --inbound {DEMO_NUMBER}`). "
            f"Log in as admin, manager, rep1, rep2 or rep3 with password '{DEMO_PASSWORD}'."
        )
