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
            workspace = user.last_workspace
            workspace.street = "Neufeldweg 25a"
            workspace.postal_code = "51427"
            workspace.city = "Bergisch Gladbach"
            workspace.country = "DE"
            workspace.tax_id_type = "eu_vat"
            workspace.tax_id = "DE136695976"
            workspace.time_zone = "Europe/Berlin"
            # The particulars a GmbH prints on every business letter (§35a GmbHG), and the
            # account its customers pay by transfer (e-invoices, GiroCode).
            workspace.legal_form = "GmbH"
            workspace.registered_seat = "Bergisch Gladbach"
            workspace.register_court = "Amtsgericht Köln"
            workspace.register_number = "HRB 123456"
            workspace.managing_directors = "Anna Beispiel\nJonas Muster"
            workspace.bank_account_holder = "Demo IT Services GmbH"
            workspace.bank_name = "Commerzbank"
            workspace.iban = "DE89370400440532013000"
            workspace.bic = "COBADEFFXXX"
            workspace.sepa_creditor_id = "DE98ZZZ09999999999"
            # Customer mail goes out as "Demo IT Services GmbH" and replies come back here.
            workspace.invoice_email = "rechnung@demo-it-services.example"
            workspace.reply_to_email = "buchhaltung@demo-it-services.example"
            workspace.save()
            from demo.seed import seed_workspace

            with tenancy.workspace_context(workspace, user):
                seed_workspace(workspace, user)
        # Where the app really listens: scripts/demo.sh derives the public URL from PORT.
        url = settings.MSPERCURY_PUBLIC_URL.rstrip("/") + "/"
        self.stdout.write(self.style.SUCCESS(f"Demo ready: {url}"))
        self.stdout.write(f"  Sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
