from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from mspercury import tenancy
from mspercury.actions import do_signup
from mspercury.models import User

DEMO_EMAIL = "demo@mspercury.test"
DEMO_PASSWORD = "demo-password-123"


class Command(BaseCommand):
    help = "Create the demo workspace and its sample data (idempotent) and print the login."

    def add_arguments(self, parser):
        parser.add_argument(
            "--callbacks",
            action="store_true",
            help="Register Lexware Office's event subscriptions (once the app answers)",
        )

    def handle(self, *args, **options):
        if options["callbacks"]:
            from demo.seed_lexware import register_lexware_callbacks

            done = register_lexware_callbacks()
            self.stdout.write(f"Lexware Office callbacks registered for {done} workspace(s)")
            return
        self.seed()

    @transaction.atomic
    def seed(self):
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = do_signup(
                email=DEMO_EMAIL,
                password=DEMO_PASSWORD,
                full_name="Demo Admin",
                workspace_name="Demo IT Services GmbH",
                language="en",
            )
            from demo.seed import seed_msp, seed_workspace

            workspace = seed_msp(user.last_workspace)
            with tenancy.workspace_context(workspace, user):
                seed_workspace(workspace, user)
            from demo.seed_lexware import seed_lexware_workspace

            seed_lexware_workspace(user)
        # Where the app really listens: scripts/demo.sh derives the public URL from PORT.
        url = settings.MSPERCURY_PUBLIC_URL.rstrip("/") + "/"
        self.stdout.write(self.style.SUCCESS(f"Demo ready: {url}"))
        self.stdout.write(f"  Sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
