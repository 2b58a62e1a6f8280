import uuid
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing.datev import export
from billing.datev.actions import DebtorRangeFull, do_export
from billing.datev.extf import UnencodableText
from billing.datev.models import DatevSettings
from mspercury import tenancy
from mspercury.models import Workspace


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from None


def _workspace_pk(value: str) -> int:
    """A workspace by its public id or its primary key (an operator's lookup across tenants)."""
    with tenancy.system_context():
        try:
            lookup = {"public_id": uuid.UUID(value)}
        except ValueError:
            if not value.isdigit():
                raise CommandError(f"{value!r} is not a workspace id or public id.") from None
            lookup = {"pk": int(value)}
        found = Workspace.objects.filter(**lookup).values_list("pk", flat=True).first()
    if found is None:
        raise CommandError(f"No workspace {value}.")
    return found


class Command(BaseCommand):
    help = "Write a workspace's DATEV booking batches for a period (one per fiscal year)."

    def add_arguments(self, parser):
        parser.add_argument("--workspace", required=True, help="workspace public id or id")
        parser.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD")
        parser.add_argument("--out", required=True, help="directory for the CSV files")
        parser.add_argument(
            "--debtors", action="store_true", help="also write the debtor master data file"
        )

    def handle(self, *args, workspace, date_from, date_to, out, debtors=False, **options):
        start, end = _day(date_from), _day(date_to)
        if end < start:
            raise CommandError("The period ends before it starts.")
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        with tenancy.workspace_context(_workspace_pk(workspace)) as current:
            ws = Workspace.objects.get(pk=current.workspace_id)
            result = self._export(ws, start, end)
            if debtors:
                self._write_debtors(ws, folder)
        for problem in result.problems:
            self.stdout.write(f"  warning: {problem.stripe_id}: {problem.code}")
        for item in result.replacements:
            self.stdout.write(f"  replaced: {item.party}: {item.original!r} → {item.written!r}")
        if not result.files:
            self.stdout.write("No bookings in this period; no file written.")
            return
        for item in result.files:
            (folder / item.name).write_bytes(item.content)
            self.stdout.write(f"{folder / item.name}: {item.bookings} bookings")

    def _export(self, ws, start, end):
        prefs = DatevSettings.for_workspace(ws)
        if not prefs.complete:
            raise CommandError("Set the consultant and client numbers in Settings → DATEV first.")
        try:
            return do_export(ws, prefs, start, end, exported_by="manage.py")
        except (UnencodableText, DebtorRangeFull) as exc:
            raise CommandError(str(exc)) from None

    def _write_debtors(self, ws, folder: Path) -> None:
        try:
            prefs = DatevSettings.for_workspace(ws)
            master = export.debtor_file(ws, prefs, exported_by="manage.py")
        except UnencodableText as exc:
            raise CommandError(str(exc)) from None
        (folder / master.name).write_bytes(master.content)
        self.stdout.write(f"{folder / master.name}: {master.bookings} debtor accounts")
