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

    @transaction.atomic
    def handle(self, *args, **options):
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
        # Where the app really listens: scripts/demo.sh derives the public URL from PORT.
        url = settings.MSPERCURY_PUBLIC_URL.rstrip("/") + "/"
        self.stdout.write(self.style.SUCCESS(f"Demo ready: {url}"))
        self.stdout.write(f"  Sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
