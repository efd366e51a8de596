from django.core.management.base import BaseCommand

from campaigns.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create or top up the demo world: users for each role, reps, a script and the 'demo' campaign."

    def add_arguments(self, parser):
        parser.add_argument("--leads", type=int, default=60, help="Leads to keep waiting in the demo campaign")

    def handle(self, *args, leads: int, **options):
        campaign = seed_demo(leads=leads)
        waiting = campaign.hopper.filter(state__in=["pending", "retry"]).count()
        self.stdout.write(
            f"Demo campaign '{campaign.slug}' ready with {waiting} leads waiting. "
            f"Log in as admin, manager, rep1, rep2 or rep3 with password '{DEMO_PASSWORD}'."
        )
