from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaxcheckConfig(AppConfig):
    name = "billing.taxcheck"
    label = "taxcheck"
    verbose_name = _("VAT re-check of recurring invoices")

    def ready(self):
        # Registers the task without a worker's autodiscovery (run_schedule, the demo's beat).
        from billing.taxcheck import tasks  # noqa: F401
