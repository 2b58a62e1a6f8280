"""A one-page HTML view of the emulator at /_emulator/: what it holds and forms to change it
(the demo's way to make a customer's number invalid or its member state unavailable)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from urllib.parse import parse_qs, quote

from .app import AVAILABILITIES, BEHAVIORS, ERROR_CODES, Emulator

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}form{display:inline}
.msg{background:#eef6ee;border:1px solid #9c9;padding:.5rem}code,pre{font-size:12px}
fieldset{margin:0 0 1rem;border:1px solid #ccc}
"""


def _options(values, selected=None) -> str:
    return "".join(
        f'<option value="{escape(v)}"{" selected" if v == selected else ""}>{escape(v)}</option>'
        for v in values
    )


def render_dashboard(emulator: Emulator, query: str = "") -> str:
    state = emulator.snapshot()
    message = parse_qs(query).get("message", [""])[-1]
    with emulator.lock:
        recent = list(reversed(emulator.requests[-25:]))
    rows = "".join(
        f"<tr><td><code>{escape(n['countryCode'] + n['vatNumber'])}</code></td>"
        f"<td>{escape(n['behavior'])}</td><td>{escape(n['name'])}</td>"
        f"<td>{escape(n['address']).replace(chr(10), '<br>')}</td><td>{n['delay']:g}</td></tr>"
        for n in state["numbers"]
    )
    down = {k: v for k, v in state["member_states"].items() if v != "Available"}
    faults = "".join(
        f"<tr><td><code>{escape(json.dumps({k: v for k, v in f.items() if v}))}</code></td></tr>"
        for f in state["faults"]
    )
    requests = "".join(
        "<tr><td>{at}</td><td>{method} {path}</td><td><code>{body}</code></td>"
        "<td>{status}</td><td><code>{answer}</code></td></tr>".format(
            at=datetime.fromtimestamp(r["at"], UTC).strftime("%H:%M:%S"),
            method=escape(r["method"]),
            path=escape(r["path"]),
            body=escape(json.dumps(r["body"]))[:200],
            status="dropped" if r["dropped"] else r["status"],
            answer=escape(json.dumps(r["response"]))[:300],
        )
        for r in recent
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>VIES emulator</title><style>{_STYLE}</style></head><body>
<h1>VIES emulator</h1>
<p>REST API at <code>{escape(emulator.base_url or "")}</code> (POST /check-vat-number, POST
/check-vat-test-service, GET /ms/&lt;cc&gt;/vat/&lt;number&gt;, GET /check-status).
Numbers nobody registered answer <strong>{escape(str(state["config"]["unknown_numbers"]))}</strong>.
Consultations so far: {state["consultations"]}.</p>
{f'<p class="msg">{escape(message)}</p>' if message else ""}
<fieldset><legend>Make a number answer</legend>
<form method="post" action="/_emulator/dashboard"><input type="hidden" name="form" value="number">
<input name="vat_id" placeholder="FR40303265045" required>
<select name="behavior">{_options(BEHAVIORS)}</select>
<input name="name" placeholder="name (--- if empty)">
<input name="address" placeholder="address">
<input name="delay" placeholder="delay s" size="6">
<button>Set</button></form></fieldset>
<fieldset><legend>Member state availability</legend>
<form method="post" action="/_emulator/dashboard"><input type="hidden" name="form" value="ms">
<input name="country" placeholder="DE" size="3" required>
<select name="availability">{_options(AVAILABILITIES, "Unavailable")}</select>
<button>Set</button></form>
Not available: {escape(", ".join(f"{k} ({v})" for k, v in down.items()) or "none")}</fieldset>
<fieldset><legend>Fail the next requests</legend>
<form method="post" action="/_emulator/dashboard"><input type="hidden" name="form" value="fault">
<select name="error">{_options(ERROR_CODES, "MS_MAX_CONCURRENT_REQ")}</select>
<input name="times" value="1" size="3"> times, only for country
<input name="country" placeholder="any" size="4"><button>Add</button></form>
<form method="post" action="/_emulator/dashboard"><input type="hidden" name="form" value="clear">
<button>Clear faults</button></form>
<form method="post" action="/_emulator/dashboard"><input type="hidden" name="form" value="reset">
<button>Reset everything</button></form></fieldset>
<h2>Registered numbers</h2>
<table><tr><th>VAT ID</th><th>Answers</th><th>Name</th><th>Address</th><th>Delay (s)</th></tr>
{rows}</table>
<h2>Pending faults</h2><table>{faults or "<tr><td>none</td></tr>"}</table>
<h2>Last requests</h2>
<table><tr><th>UTC</th><th>Route</th><th>Body</th><th>Status</th><th>Answer</th></tr>
{requests}</table>
</body></html>"""


def apply_form(emulator: Emulator, form: dict[str, list[str]]) -> str:
    """Apply one dashboard form; returns the message to show (URL-quoted)."""

    def field(name: str) -> str:
        return (form.get(name) or [""])[-1].strip()

    try:
        kind = field("form")
        if kind == "number":
            vat_id = field("vat_id").replace(" ", "").upper()
            emulator.set_number(
                vat_id[:2],
                vat_id[2:],
                behavior=field("behavior") or "valid",
                name=field("name") or None,
                address=field("address") or None,
                delay=float(field("delay") or 0),
            )
            message = f"{vat_id} now answers {field('behavior')}"
        elif kind == "ms":
            country = field("country").upper()
            availability = field("availability")
            if availability not in AVAILABILITIES:
                raise ValueError(f"unknown availability {availability}")
            with emulator.lock:
                if country not in emulator.member_states:
                    raise ValueError(f"{country} is not a VIES member state code")
                emulator.member_states[country] = availability
            message = f"{country}: {availability}"
        elif kind == "fault":
            emulator.add_fault(
                error=field("error"),
                times=int(field("times") or 1),
                countryCode=field("country") or None,
            )
            message = f"the next {field('times') or 1} request(s) answer {field('error')}"
        elif kind == "clear":
            with emulator.lock:
                emulator.faults.clear()
            message = "faults cleared"
        elif kind == "reset":
            emulator.reset()
            message = "reset"
        else:
            message = "unknown form"
    except (ValueError, TypeError) as exc:
        message = f"error: {exc}"
    return quote(message)
