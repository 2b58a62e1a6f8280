"""Request helpers for the quote editor tests."""

HX = {"HX-Request": "true"}


def detail_url(quote):
    return f"/quotes/{quote.public_id}/"


def line_url(quote, line, action=""):
    return f"/quotes/{quote.public_id}/lines/{line.public_id}/{action + '/' if action else ''}"


def add_data(**values):
    """POST data of the add-line form (prefix "add")."""
    return {f"add-{name}": value for name, value in values.items()}


def edit_data(line, **changes):
    """POST data of a line's edit row: its current values, then ``changes``."""
    values = {
        "description": line.description,
        "quantity": str(line.quantity),
        "unit": line.unit,
        "unit_price": str(line.unit_price),
        "billing_period": line.billing_period,
        "discount_percent": "" if line.discount_percent is None else str(line.discount_percent),
        "cost_price": "" if line.cost_price is None else str(line.cost_price),
    }
    values.update(changes)
    return {f"line-{line.public_id}-{name}": value for name, value in values.items()}
