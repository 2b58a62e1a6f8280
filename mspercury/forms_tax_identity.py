"""The tax identity of a party, the workspace's or a customer's: country, tax-ID type and
number, with the type refreshed (htmx) whenever the country or the type changes."""

from django.urls import reverse_lazy


class TaxIdentityFields:
    """For a ModelForm with ``country``, ``country_was``, ``tax_id_type`` and ``tax_id``."""

    def set_up_tax_identity(self, refresh_url: str, *, also_send: str = "") -> None:
        """``refresh_url``: the URL name answering the type field; ``also_send``: more fields
        the answer depends on (``, #id_state``)."""
        refresh = {
            "hx-get": reverse_lazy(refresh_url),
            "hx-trigger": "change",
            "hx-target": "#tax-id-type-field",
            "hx-swap": "outerHTML",
            # The country and the type both refresh this field: the latest change wins, an
            # answer to an earlier one is dropped instead of overwriting it.
            "hx-sync": "closest form:replace",
        }
        fields = self.fields  # type: ignore[attr-defined]
        fields["country"].widget.attrs.update(
            refresh, **{"hx-include": f"#id_tax_id_type, #id_country_was{also_send}"}
        )
        fields["tax_id_type"].widget.attrs.update(
            refresh, **{"hx-include": f"#id_country, #id_country_was{also_send}"}
        )
        fields["tax_id"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
