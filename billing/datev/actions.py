"""Writes of the DATEV export: debtor numbers and settings. Atomic; nobody else writes these."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.datev import export
from billing.datev.models import DatevSettings, DebtorAccount
from mspercury import audit
from mspercury.texts import Text


class DebtorRangeFull(ValueError):
    """The configured range has no number left; the message is for the person exporting."""


def _locked_settings(workspace) -> DatevSettings:
    DatevSettings.objects.get_or_create(workspace=workspace)
    return DatevSettings.objects.select_for_update().get(workspace=workspace)


def do_assign_debtor_accounts(workspace, customers: list) -> dict[int, int]:
    """Customer pk → debtor number, giving the next free numbers to those without one
    (``customers``: anything with ``pk`` and ``company_name``).

    The settings row is locked while numbers are handed out, and its counter only grows, so two
    exports at once never share a number and a deleted customer's number is never reused."""
    wanted = {c.pk: c for c in customers}
    existing = dict(
        DebtorAccount.objects.filter(workspace=workspace, customer_id__in=wanted).values_list(
            "customer_id", "number"
        )
    )
    missing = [c for pk, c in wanted.items() if pk not in existing]
    if not missing:
        return existing
    with transaction.atomic():
        prefs = _locked_settings(workspace)
        number = max(prefs.next_debtor_number, prefs.debtor_range_start)
        for customer in sorted(missing, key=lambda c: c.pk):
            if DebtorAccount.objects.filter(customer_id=customer.pk).exists():
                continue  # given by a concurrent export while we waited for the lock
            if number > prefs.debtor_range_end:
                raise DebtorRangeFull(
                    _("No debtor account is left between %(start)s and %(end)s.")
                    % {"start": prefs.debtor_range_start, "end": prefs.debtor_range_end}
                )
            DebtorAccount.objects.create(
                workspace=workspace,
                customer_id=customer.pk,
                number=number,
                name=customer.company_name,
            )
            number += 1
        prefs.next_debtor_number = number
        prefs.save(update_fields=["next_debtor_number"])
    return dict(
        DebtorAccount.objects.filter(workspace=workspace, customer_id__in=wanted).values_list(
            "customer_id", "number"
        )
    )


def do_save_settings(request, workspace, values: dict) -> DatevSettings:
    """Store the validated settings (audited). The debtor counter is never moved backwards."""
    with transaction.atomic():
        prefs = _locked_settings(workspace)
        for name, value in values.items():
            setattr(prefs, name, value)
        prefs.next_debtor_number = max(prefs.next_debtor_number, prefs.debtor_range_start)
        prefs.save()
        audit.record(
            request,
            workspace,
            "datev.settings_changed",
            Text(
                gettext_noop(
                    "DATEV settings: consultant %(consultant)s, client %(client)s, "
                    "SKR %(chart)s, encoding %(encoding)s"
                ),
                consultant=prefs.consultant_number,
                client=prefs.client_number,
                chart=prefs.chart,
                encoding=prefs.encoding,
            ),
        )
    return prefs


def do_export(workspace, prefs: DatevSettings, date_from, date_to, *, exported_by: str = ""):
    """The period's files, after giving every customer in them a debtor number. Raises
    extf.UnencodableText (a name the encoding refuses) or DebtorRangeFull."""
    gathered = export.gather(workspace, date_from, date_to)
    debtors = do_assign_debtor_accounts(workspace, gathered.customers)
    return export.export(
        workspace,
        prefs,
        date_from,
        date_to,
        gathered=gathered,
        debtors=debtors,
        exported_by=exported_by,
    )
