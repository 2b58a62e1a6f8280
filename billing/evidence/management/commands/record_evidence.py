from django.core.management.base import BaseCommand

from billing.evidence.services import record_missing, unrecorded
from mspercury import tenancy
from mspercury.models import Workspace


class Command(BaseCommand):
    help = "Write the evidence records of issued invoices that have none yet, in every workspace."

    def handle(self, *args, **options):
        with tenancy.system_context():  # which workspaces exist: the only cross read
            workspace_ids = list(Workspace.objects.order_by("pk").values_list("pk", flat=True))
        total = 0
        for workspace_id in workspace_ids:
            with tenancy.workspace_context(workspace_id):
                if unrecorded(workspace_id).exists():
                    total += record_missing(workspace_id)
        self.stdout.write(f"{total} supplies written.")
