from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VatidsConfig(AppConfig):
    name = "customers.vatids"
    label = "vatids"
    verbose_name = _("VAT ID validation")

    def ready(self):
        # Registers the tasks without a worker's autodiscovery (run_schedule, the demo's beat).
        from customers.vatids import tasks  # noqa: F401
