"""Audit entries are read in the reader's language, whoever wrote them (a worker, a customer's
request, a colleague in another language): their summaries are texts (mspercury.texts), and
every message id the product marks with gettext_noop or plural() has its German translation."""

import ast
import re
from datetime import date
from pathlib import Path

from django.conf import settings
from django.utils import translation

from customers.models import Customer
from mspercury.models import AuditEvent
from quotes import actions, sharing
from quotes.models import QuoteStatus
from tests.mspercury.test_i18n import PO_FILE, parse_po

ROOT = Path(settings.BASE_DIR)
PLACEHOLDER_ONLY = re.compile(r"(?:%\([^)]+\)s|[^\w%])*")  # "%(text)s (%(why)s)": no words


def _product_files() -> list[Path]:
    """Every module of the product's apps (top-level packages with an apps.py), no migrations."""
    apps = [p.parent for p in ROOT.glob("*/apps.py")]
    assert {a.name for a in apps} >= {"billing", "customers", "integrations", "mspercury"}
    return [
        path
        for app in apps
        for path in sorted(app.rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts
    ]


def _calls(name: str):
    """(path, call) for every call of ``name`` (a plain name or ``x.name``) in the product."""
    for path in _product_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called == name:
                    yield path.relative_to(ROOT), node


def _german(client, user):
    user.language = "de"
    user.save(update_fields=["language"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    return client


# -- shown in the reader's language --------------------------------------------------------------


def _expired_quote(alpha, alice):
    """A worker-like path: no request, English active, as the expiry sweep runs."""
    acme = Customer.objects.create(workspace=alpha, company_name="Acme GmbH", country="DE")
    quote = actions.do_create_quote(alpha, acme, user=alice, valid_until=date(2026, 3, 9))
    with translation.override("en"):
        assert sharing.do_expire_if_due(quote, today=date(2026, 3, 10))
    return quote


def test_it_shows_a_workers_entry_in_german_to_a_german_reader(client_for, alice, alpha):
    """Written in English by the expiry, the entry reads German on a German owner's log."""
    quote = _expired_quote(alpha, alice)
    event = AuditEvent.objects.get(action="quote.expired")
    assert event.summary == f"Quote {quote.number} expired (valid until 2026-03-09)"
    body = _german(client_for(alice), alice).get("/settings/audit/").content.decode()
    assert f"Angebot {quote.number} abgelaufen (gültig bis 2026-03-09)" in body
    assert "expired (valid until" not in body


def test_it_shows_the_same_entry_in_english_to_an_english_reader(client_for, alice, dana, alpha):
    """The same entry reads English on an English-speaking admin's log."""
    quote = _expired_quote(alpha, alice)
    body = client_for(dana).get("/settings/audit/").content.decode()
    assert f"Quote {quote.number} expired (valid until 2026-03-09)" in body
    assert "abgelaufen" not in body


def test_it_translates_labels_reasons_and_plurals_inside_a_summary(alice, alpha):
    """A German user's action is logged in words the English reader reads in English: the
    status labels, the reason and the plural are texts of their own."""
    acme = Customer.objects.create(workspace=alpha, company_name="Acme GmbH", country="DE")
    quote = actions.do_create_quote(alpha, acme, user=alice)
    for _link in range(2):
        sharing.do_share_quote(quote, user=alice)  # a draft becomes "sent"
    with translation.override("de"):
        actions.do_set_status(quote, QuoteStatus.DRAFT, user=alice)
    revoked = AuditEvent.objects.get(action="quote.share_revoked")
    status = AuditEvent.objects.filter(action="quote.status_changed").first()
    assert revoked.summary == (
        f"2 share links of quote {quote.number} revoked: the quote went back to draft"
    )
    assert status.summary == f"Quote {quote.number}: Sent → Draft"
    with translation.override("de"):
        assert revoked.shown_summary == (
            f"2 Freigabelinks von Angebot {quote.number} widerrufen: "
            "das Angebot ist wieder ein Entwurf"
        )
        assert status.shown_summary == f"Angebot {quote.number}: Versendet → Entwurf"


# -- the rule for future code --------------------------------------------------------------------

WORDS_FIXED_AT_WRITING = (ast.JoinedStr, ast.BinOp)  # f"…", "…" % x, "…" + x
FIXING_CALLS = {"_", "gettext", "ngettext", "pgettext", "str", "format", "join"}


def _fixed_words(summary: ast.expr) -> bool:
    if isinstance(summary, WORDS_FIXED_AT_WRITING):
        return True
    if isinstance(summary, ast.Constant):
        return isinstance(summary.value, str)
    if isinstance(summary, ast.Subscript):  # f"…"[:300]
        return _fixed_words(summary.value)
    if isinstance(summary, ast.Call):
        func = summary.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return called in FIXING_CALLS
    return False


def test_it_finds_words_fixed_at_writing():
    """The check below recognises the shapes it forbids, and lets texts through."""
    shapes = {
        'f"Quote {n} created"': True,
        '"Created"': True,
        '_("Quote %(n)s") % v': True,
        '_("Created")': True,
        "str(exc)": True,
        '"Changed: " + ", ".join(f)': True,
        'f"Push of {n} failed: {m}"[:300]': True,
        'Text(gettext_noop("Quote %(n)s created"), n=n)': False,
        'plural("%(count)s link", "%(count)s links", n)': False,
        "exc.text": False,
        "summary": False,
    }
    assert {s: _fixed_words(ast.parse(s, mode="eval").body) for s in shapes} == shapes


def test_every_audit_summary_is_a_text():
    """No audit.record(...) passes words already fixed in one language (an f-string, a plain
    string, a %-formatted or gettext'd string): they would reach every reader in the writer's
    language. Write Text(gettext_noop("… %(name)s …"), name=…) instead."""
    sites, fixed = 0, []
    for path, call in _calls("record"):
        if not (
            isinstance(call.func, ast.Attribute) and getattr(call.func.value, "id", "") == "audit"
        ):
            continue
        sites += 1
        summary = call.args[3] if len(call.args) > 3 else None
        summary = next((k.value for k in call.keywords if k.arg == "summary"), summary)
        if summary is None or _fixed_words(summary):
            fixed.append(f"{path}:{call.lineno}")
    assert sites > 60
    assert fixed == []


# -- every message id has its German translation -------------------------------------------------


def _literal(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _marked_msgids() -> set[tuple[str, str | None]]:
    """(msgid, plural msgid) of gettext_noop(…), plural(…) and Text(…) written with literals;
    a Text of placeholders only (such as "%(text)s (%(why)s)") needs no translation."""
    found = set()
    for path, call in _calls("gettext_noop"):
        msgid = _literal(call.args[0]) if call.args else None
        assert msgid is not None, f"{path}:{call.lineno} marks no literal"
        found.add((msgid, None))
    for name in ("plural", "Text"):
        for _path, call in _calls(name):
            words = [_literal(a) for a in call.args[:2]]
            if words[0] is None or PLACEHOLDER_ONLY.fullmatch(words[0]):
                continue
            found.add((words[0], words[1] if len(words) > 1 else None))
    return found


def test_it_collects_marked_message_ids():
    found = _marked_msgids()
    assert ("Quote %(number)s expired (valid until %(valid_until)s)", None) in found
    assert (
        "Invoice with %(count)s one-time line",
        "Invoice with %(count)s one-time lines",
    ) in found
    assert not any(msgid.startswith("%(text)s") for msgid, _ in found)


def test_every_marked_message_id_has_a_german_translation():
    """A message id stored for translation at display must be in django.po, translated (every
    plural form); else a German reader sees the English words."""
    entries = {
        (e["msgid"], e["msgid_plural"]): e["msgstr"]
        for e in parse_po(PO_FILE.read_text(encoding="utf-8"))
    }
    missing = sorted(
        key for key in _marked_msgids() if not (entries.get(key) and all(entries[key]))
    )
    assert missing == []


def _recorded_actions() -> set[str]:
    """Every action code the product passes to audit.record (both sides of a conditional,
    constants named in the same module, the 2FA helper's codes)."""
    found: set[str] = set()
    for app in ("mspercury", "customers", "quotes", "billing", "integrations", "portal"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or "emulator" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            constants = {
                t.id: n.value.value
                for n in ast.walk(tree)
                if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
                for t in n.targets
                if isinstance(t, ast.Name)
            }
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and ast.unparse(node.func) == "audit.record"):
                    continue
                if len(node.args) < 3:
                    continue
                action = node.args[2]
                for part in ast.walk(action):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str):
                        found.add(part.value)
                    elif isinstance(part, ast.Name) and part.id in constants:
                        found.add(constants[part.id])
            found |= {
                n.value
                for n in ast.walk(tree)
                if isinstance(n, ast.Constant)
                and isinstance(n.value, str)
                and n.value.startswith("2fa.")
            }
    return {a for a in found if re.fullmatch(r"[a-z0-9_]+\.[a-z_]+", a)}


def test_every_recorded_action_has_a_readable_name():
    from mspercury.views.audit import ACTION_LABELS

    actions = _recorded_actions() | {"stripe.connect_failed", "stripe.replace_failed"}
    assert len(actions) > 60
    assert sorted(actions - set(ACTION_LABELS)) == []
    with translation.override("de"):
        assert str(ACTION_LABELS["stripe.pushed"]) == "An Stripe übertragen"
