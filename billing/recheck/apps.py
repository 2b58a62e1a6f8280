from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaxcheckConfig(AppConfig):
    name = "billing.recheck"
    label = "taxcheck"
    verbose_name = _("VAT re-check of recurring invoices")
    # Its sweep task runs at the edge (integrations.tasks), where the Stripe half lives.
