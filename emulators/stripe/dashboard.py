"""A read-mostly HTML dashboard at /_emulator/ for demos: what the emulator holds, per account.

GET  /_emulator/                                        the page (no API key, like the hosted pages)
POST /_emulator/dashboard/clock                         span=hour|day|month: advance the clock;
     "+1 day" and "+1 month" stop at the next subscription renewal on the way, so its draft
     invoice (and its invoice.created) can be seen before "+1 hour" finalizes it
POST /_emulator/dashboard/customers/{id}/payment_behavior  behavior=succeed|fail
POST /_emulator/dashboard/accounts/{id}/webhook_endpoints    url=…&events=…: add an endpoint,
     as a restricted key's manual set-up does in Stripe's Dashboard (its signing secret shows)

The buttons post plain HTML forms carrying a per-process token (cross-site forms can't know it)
and redirect back to the page. Every value shown is escaped; the page needs no JavaScript and
loads nothing from elsewhere.
"""

from __future__ import annotations

import datetime as dt
import hmac
import html
from urllib.parse import parse_qs

from .control import set_payment_behavior
from .keys import DEFAULT_ACCOUNT

ROW_LIMIT = 50
EVENT_LIMIT = 20
DELIVERY_LIMIT = 5
SPANS = {"hour": "+1 hour", "day": "+1 day", "month": "+1 month"}

STYLE = """
body{font-family:system-ui,sans-serif;background:#f6f9fc;color:#1a1f36;margin:0;font-size:14px}
header{background:#1a1f36;color:#fff;padding:1rem 2rem;display:flex;flex-wrap:wrap;gap:1rem;
align-items:center;justify-content:space-between}
header h1{font-size:1.2rem;margin:0}header a{color:#c9d3ff}
main{padding:1rem 2rem 3rem;max-width:90rem}
section.account{background:#fff;border-radius:8px;padding:1rem 1.5rem;margin:1rem 0;
box-shadow:0 1px 4px rgba(0,0,0,.08)}
h2{font-size:1.1rem;margin:.2rem 0 .8rem}h3{font-size:.95rem;margin:1.2rem 0 .4rem;color:#3c4257}
table{width:100%;border-collapse:collapse;margin-bottom:.4rem}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e3e8ee;vertical-align:top}
th{font-weight:600;color:#697386;font-size:.8rem;text-transform:uppercase}
td.n{text-align:right;white-space:nowrap}
code,.id{font-family:ui-monospace,monospace;font-size:.8rem;color:#697386}
.pill{display:inline-block;padding:0 .45rem;border-radius:9px;font-size:.8rem;background:#e3e8ee}
.pill.good{background:#d7f7c2;color:#05690d}.pill.bad{background:#ffe7f2;color:#b3093c}
.pill.warn{background:#fcedb9;color:#a82c00}
.muted{color:#697386}.empty{color:#697386;font-style:italic}
form.inline{display:inline;margin:0}
button{font:inherit;padding:.25rem .7rem;border-radius:5px;border:1px solid #c1c9d2;
background:#fff;cursor:pointer}
header button{background:#635bff;border-color:#635bff;color:#fff}
ul.plain{list-style:none;margin:0;padding:0}
"""

GOOD = {"active", "paid", "succeed", "enabled", "complete", "succeeded"}
BAD = {"canceled", "void", "uncollectible", "incomplete_expired", "fail", "disabled", "deleted"}
BAD |= {"live mode"}  # red, so nobody mistakes it for test data
WARN = {"past_due", "incomplete", "open", "unpaid", "draft"}


def _response(status: int, body: bytes, headers: dict | None = None, content_type="text/html"):
    from .app import Response

    return Response(
        status,
        body,
        headers={"Cache-Control": "no-store", **(headers or {})},
        content_type=f"{content_type}; charset=utf-8",
    )


def _page(title: str, header: str, body: str, status: int = 200):
    text = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{STYLE}</style></head><body><header>{header}</header>"
        f"<main>{body}</main></body></html>"
    )
    return _response(status, text.encode())


def _redirect():
    return _response(303, b"", {"Location": "/_emulator/"}, content_type="text/plain")


def handle_dashboard(emu, method, path, query, headers, body):
    path = path.rstrip("/")
    if path == "/_emulator":
        if method not in ("GET", "HEAD"):
            return _page("Not allowed", "", "<p>Use GET.</p>", 405)
        return _dashboard(emu)
    if method != "POST":
        return _page("Not allowed", "", "<p>Use the dashboard's buttons.</p>", 405)
    form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    if not hmac.compare_digest(form.get("token", "").encode(), emu.dashboard_token.encode()):
        return _page(
            "Expired form",
            "<h1>Stripe emulator</h1>",
            '<p>This form has expired. <a href="/_emulator/">Reload the dashboard</a> and try '
            "again.</p>",
            403,
        )
    parts = path.split("/")
    if path == "/_emulator/dashboard/clock":
        return _advance(emu, form.get("span"))
    if len(parts) == 6 and parts[3] == "accounts" and parts[5] == "webhook_endpoints":
        return _add_endpoint(emu, parts[4], form)
    if len(parts) == 6 and parts[3] == "customers" and parts[5] == "payment_behavior":
        try:
            found = set_payment_behavior(emu, parts[4], form.get("behavior"))
        except ValueError as exc:
            return _page("Bad request", "<h1>Stripe emulator</h1>", f"<p>{_e(exc)}</p>", 400)
        if not found:
            return _page("Not found", "<h1>Stripe emulator</h1>", "<p>No such customer.</p>", 404)
        return _redirect()
    return _page("Not found", "<h1>Stripe emulator</h1>", "<p>Not found.</p>", 404)


def _add_endpoint(emu, account_id, form):
    """Create an endpoint the way POST /v1/webhook_endpoints does (same checks, same shape)."""
    from .errors import StripeError
    from .resources.platform import create_webhook_endpoint
    from .router import Context

    if account_id not in emu.keys.accounts:
        return _page("Not found", "<h1>Stripe emulator</h1>", "<p>No such account.</p>", 404)
    events = [e for e in form.get("events", "").replace(",", " ").split() if e]
    params = {"url": form.get("url", "").strip(), "enabled_events": events}
    owner = (account_id, form.get("mode") == "live")
    try:
        with emu.store.lock:
            create_webhook_endpoint(Context(emu, None, owner, params, {}))
    except StripeError as exc:
        return _page("Bad request", "<h1>Stripe emulator</h1>", f"<p>{_e(exc.message)}</p>", 400)
    return _redirect()


def _advance(emu, span):
    from .resources.common import add_interval

    if span not in SPANS:
        return _page("Bad request", "<h1>Stripe emulator</h1>", "<p>Unknown span.</p>", 400)
    with emu.store.lock:
        now = emu.store.now()
        if span == "month":
            target = add_interval(now, "month", 1)
        else:
            target = now + {"hour": 3600, "day": 86400}[span]
        if span != "hour":
            target = min(target, next_renewal(emu, now) or target)
        emu.advance(target - now)
    return _redirect()


def next_renewal(emu, after: int) -> int | None:
    """The earliest moment after `after` when a subscription renews, ends or expires."""
    from .resources import subscriptions

    moments = [moment for moment, _ in subscriptions.due(emu) if moment > after]
    return min(moments, default=None)


# -- formatting --------------------------------------------------------------------------------
def _e(value) -> str:
    return "—" if value is None or value == "" else html.escape(str(value))


def _when(timestamp) -> str:
    if timestamp is None:
        return "—"
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M")


def _money(amount, currency) -> str:
    from .resources.common import format_money

    if amount is None or not currency:
        return "—"
    return _e(format_money(amount, currency))


def _pill(value) -> str:
    tone = "good" if value in GOOD else "bad" if value in BAD else "warn" if value in WARN else ""
    return f'<span class="pill {tone}">{_e(value)}</span>'


def _id(value) -> str:
    return f'<span class="id">{_e(value)}</span>'


def _table(headings: list[str], rows: list[str], total: int, empty: str) -> str:
    if not rows:
        return f'<p class="empty">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headings)
    more = ""
    if total > len(rows):
        more = (
            f'<p class="muted">{total - len(rows)} older not shown: see '
            '<a href="/_emulator/state">the JSON state</a>.</p>'
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def _newest(objects: list[dict], limit: int = ROW_LIMIT) -> list[dict]:
    return list(reversed(objects))[:limit]


# -- the page ----------------------------------------------------------------------------------
def _dashboard(emu):
    store = emu.store
    with store.lock:
        emu.tick()
        now = store.now()
        deliveries: dict[str, list[dict]] = {}
        for delivery in emu.webhooks.deliveries():
            deliveries.setdefault(delivery["endpoint_id"], []).append(delivery)
        body = "".join(
            _account(emu, owner, deliveries, emu.dashboard_token) for owner in _owners(emu)
        )
        ahead = store.clock_offset / 86400
    token = _e(emu.dashboard_token)
    buttons = "".join(
        '<form class="inline" method="post" action="/_emulator/dashboard/clock">'
        f'<input type="hidden" name="token" value="{token}">'
        f'<button type="submit" name="span" value="{span}">{_e(label)}</button></form> '
        for span, label in SPANS.items()
    )
    header = (
        "<div><h1>Stripe emulator</h1>"
        f'<span class="muted">{_e(emu.base_url)} · test double, no real money moves</span></div>'
        f"<div>Emulator time <strong>{_when(now)} UTC</strong>"
        f' <span class="muted">({ahead:+.1f} days vs. real time)</span></div>'
        f"<div>Advance the clock: {buttons}"
        '<br><span class="muted">+1 day and +1 month stop at a renewal: its draft invoice waits'
        " an hour for the app's checks, then +1 hour finalizes it.</span></div>"
        '<div><a href="/_emulator/state">JSON state</a> · '
        '<a href="/_emulator/webhooks/deliveries">deliveries</a> · '
        '<a href="/_emulator/requests">requests</a> · <a href="/_emulator/">refresh</a></div>'
    )
    return _page("Stripe emulator", header, body)


def _owners(emu) -> list[tuple]:
    """(account, livemode) pairs that hold objects; the seeded test account always, first."""
    found = set(emu.store.owners.values()) | {(DEFAULT_ACCOUNT, False)}
    return sorted(found, key=lambda o: (o != (DEFAULT_ACCOUNT, False), o[0], o[1]))


def _account(emu, owner, deliveries: dict, token: str) -> str:
    account_id, livemode = owner
    account = emu.keys.accounts.get(account_id) or {}
    name = (account.get("settings") or {}).get("dashboard", {}).get("display_name")
    mode = _pill("live mode") if livemode else _pill("test mode")
    return (
        f'<section class="account"><h2>{_e(name or account_id)} {_id(account_id)} {mode}</h2>'
        f"{_customers(emu, owner)}{_products(emu, owner)}{_subscriptions(emu, owner)}"
        f"{_invoices(emu, owner)}{_events(emu, owner)}{_endpoints(emu, owner, deliveries, token)}"
        "</section>"
    )


def _customer_names(emu, owner) -> dict:
    return {
        c["id"]: c.get("name") or c.get("email") or c["id"]
        for c in emu.store.all("customer", owner)
    }


def _customers(emu, owner) -> str:
    from .resources.customers import payment_behavior

    store = emu.store
    customers = store.all("customer", owner)
    tax_ids: dict[str, list[str]] = {}
    for tax_id in store.all("tax_id", owner):
        tax_ids.setdefault(tax_id["customer"], []).append(
            f"<code>{_e(tax_id['type'])}</code> {_e(tax_id['value'])}"
        )
    token = _e(emu.dashboard_token)
    rows = []
    for customer in _newest(customers):
        internal = store.internal.get(customer["id"], {})
        if internal.get("deleted"):
            payments = _pill("deleted")
        else:
            behavior = payment_behavior(emu, customer["id"])
            other = "succeed" if behavior == "fail" else "fail"
            label = "Payments fail" if other == "fail" else "Payments succeed"
            default = ' <span class="muted">(default)</span>'
            if internal.get("payment_behavior"):
                default = ""
            payments = (
                f"{_pill(behavior)}{default} "
                '<form class="inline" method="post" action="/_emulator/dashboard/customers/'
                f'{_e(customer["id"])}/payment_behavior">'
                f'<input type="hidden" name="token" value="{token}">'
                f'<button type="submit" name="behavior" value="{other}">{label}</button></form>'
            )
        metadata = customer.get("metadata") or {}
        rows.append(
            f"<tr><td>{_e(customer.get('name'))}<br>{_id(customer['id'])}</td>"
            f"<td>{_e(customer.get('email'))}</td>"
            f"<td>{'<br>'.join(tax_ids.get(customer['id'], [])) or '—'}</td>"
            f"<td>{_e(metadata.get('mspercury_customer_id'))}</td>"
            f"<td>{payments}</td></tr>"
        )
    return "<h3>Customers</h3>" + _table(
        ["Customer", "Email", "Tax IDs", "mspercury_customer_id", "Payments"],
        rows,
        len(customers),
        "No customers yet.",
    )


def _products(emu, owner) -> str:
    store = emu.store
    products = store.all("product", owner)
    rows = []
    for product in _newest(products):
        price = store.objects.get(product.get("default_price") or "")
        default_price = _money(price.get("unit_amount"), price.get("currency")) if price else "—"
        rows.append(
            f"<tr><td>{_e(product.get('name'))}<br>{_id(product['id'])}</td>"
            f"<td>{_pill('active' if product.get('active') else 'archived')}</td>"
            f"<td class=n>{default_price}</td><td>{_when(product.get('created'))}</td></tr>"
        )
    return "<h3>Products</h3>" + _table(
        ["Product", "Status", "Default price", "Created"], rows, len(products), "No products yet."
    )


def _interval(recurring: dict | None) -> str:
    if not recurring:
        return "—"
    count, interval = recurring.get("interval_count", 1), recurring.get("interval")
    return _e(interval if count == 1 else f"every {count} {interval}s")


def _subscriptions(emu, owner) -> str:
    subscriptions = emu.store.all("subscription", owner)
    names = _customer_names(emu, owner)
    rows = []
    for subscription in _newest(subscriptions):
        items = subscription.get("items", {}).get("data", [])
        lines = "<br>".join(
            f"{_e(item.get('quantity'))} × "
            f"{_money(item['price'].get('unit_amount'), item['price'].get('currency'))}"
            for item in items
        )
        first = items[0] if items else {}
        metadata = subscription.get("metadata") or {}
        rows.append(
            f"<tr><td>{_id(subscription['id'])}</td>"
            f"<td>{_e(names.get(subscription.get('customer'), subscription.get('customer')))}</td>"
            f"<td>{_pill(subscription.get('status'))}</td>"
            f"<td>{_interval((first.get('price') or {}).get('recurring'))}</td>"
            f"<td class=n>{lines or '—'}</td>"
            f"<td>{_e(metadata.get('mspercury_quote_number'))}</td>"
            f"<td>{'yes' if subscription.get('cancel_at_period_end') else 'no'}</td>"
            f"<td>{_when(first.get('current_period_end'))}</td>"
            f"<td>{_e(subscription.get('collection_method'))}</td></tr>"
        )
    return "<h3>Subscriptions</h3>" + _table(
        [
            "Subscription",
            "Customer",
            "Status",
            "Interval",
            "Items",
            "Quote number",
            "Cancel at period end",
            "Period ends",
            "Collection",
        ],
        rows,
        len(subscriptions),
        "No subscriptions yet.",
    )


def _invoices(emu, owner) -> str:
    invoices = emu.store.all("invoice", owner)
    names = _customer_names(emu, owner)
    rows = []
    for invoice in _newest(invoices):
        currency = invoice.get("currency")
        url = invoice.get("hosted_invoice_url")
        link = f'<a href="{_e(url)}">hosted page</a>' if url else "—"
        rows.append(
            f"<tr><td>{_e(invoice.get('number') or '(draft)')}<br>{_id(invoice['id'])}</td>"
            f"<td>{_e(names.get(invoice.get('customer'), invoice.get('customer')))}</td>"
            f"<td>{_pill(invoice.get('status'))}</td>"
            f"<td class=n>{_money(invoice.get('total'), currency)}</td>"
            f"<td class=n>{_money(invoice.get('amount_due'), currency)}</td>"
            f"<td class=n>{_money(invoice.get('amount_paid'), currency)}</td>"
            f"<td>{_e(invoice.get('footer'))}</td><td>{link}</td></tr>"
        )
    return "<h3>Invoices</h3>" + _table(
        ["Invoice", "Customer", "Status", "Total", "Due", "Paid", "Footer", "Link"],
        rows,
        len(invoices),
        "No invoices yet.",
    )


def _events(emu, owner) -> str:
    events = emu.store.all("event", owner)
    rows = [
        f"<tr><td><code>{_e(event.get('type'))}</code></td><td>{_when(event.get('created'))}</td>"
        f"<td>{_id(event['id'])}</td><td class=n>{_e(event.get('pending_webhooks'))}</td></tr>"
        for event in _newest(events, EVENT_LIMIT)
    ]
    return "<h3>Recent events</h3>" + _table(
        ["Type", "Created", "Event", "Webhooks pending"], rows, len(events), "No events yet."
    )


def _endpoints(emu, owner, deliveries: dict, token: str) -> str:
    endpoints = emu.store.all("webhook_endpoint", owner)
    rows = [
        f"<tr><td>{_e(endpoint.get('url'))}<br>{_id(endpoint['id'])}</td>"
        f"<td>{_pill(endpoint.get('status'))}<br>"
        f"<code data-secret>{_e(emu.store.internal.get(endpoint['id'], {}).get('secret'))}</code>"
        "</td>"
        f"<td>{_e(', '.join(endpoint.get('enabled_events') or []))}</td>"
        f"<td>{_deliveries(deliveries.get(endpoint['id'], []))}</td></tr>"
        for endpoint in _newest(endpoints)
    ]
    account_id, livemode = owner
    form = (
        f'<form method="post" class="add-endpoint" action="/_emulator/dashboard/accounts/'
        f'{_e(account_id)}/webhook_endpoints">'
        f'<input type="hidden" name="token" value="{_e(token)}">'
        f'<input type="hidden" name="mode" value="{"live" if livemode else "test"}">'
        '<label>Endpoint URL <input name="url" type="url" size="50" required '
        'placeholder="https://…/webhooks/stripe/…/"></label> '
        '<label>Events <input name="events" size="60" required '
        'placeholder="invoice.paid, customer.subscription.created"></label> '
        '<button type="submit">Add endpoint</button></form>'
    )
    return (
        "<h3>Webhook endpoints</h3>"
        + _table(
            ["Endpoint", "Status · signing secret", "Events", "Last deliveries"],
            rows,
            len(endpoints),
            "No webhook endpoints.",
        )
        + form
    )


def _deliveries(attempts: list[dict]) -> str:
    if not attempts:
        return '<span class="muted">none yet</span>'
    entries = []
    for delivery in list(reversed(attempts))[:DELIVERY_LIMIT]:
        outcome = delivery["status"] if delivery["status"] is not None else "no answer"
        tone = "good" if delivery["delivered"] else "bad"
        entries.append(
            f"<li><code>{_e(delivery['event_type'])}</code> "
            f'<span class="pill {tone}">{_e(outcome)}</span>'
            f' <span class="muted">attempt {_e(delivery["attempt"])}</span></li>'
        )
    return f'<ul class="plain">{"".join(entries)}</ul>'
