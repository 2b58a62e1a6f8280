from django.core.management.base import BaseCommand
from django.db import connection

from mspercury import dbroles


class Command(BaseCommand):
    help = (
        "Set up the database roles for row-level security: with --create (as a superuser) the "
        "app and system roles; always the app's data rights on every table (run as the owner)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--create", action="store_true", help="create missing roles")
        parser.add_argument(
            "--app-password-file", help="file holding the app role's login password"
        )

    def handle(self, *args, create=False, app_password_file=None, **options):
        password = None
        if app_password_file:
            with open(app_password_file, encoding="utf-8") as fh:
                password = fh.read().strip()
        with connection.cursor() as cursor:
            if create:
                for line in dbroles.create_roles(cursor, password):
                    self.stdout.write(line)
            dbroles.grant_privileges(cursor)
        app, system = dbroles.role_names()
        self.stdout.write(f"granted data rights to {app} and {system}")
