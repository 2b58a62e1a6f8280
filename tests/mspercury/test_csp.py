"""Content-Security-Policy on every page: scripts and styles only from our own static files,
no inline script, inline style or event-handler attribute anywhere."""

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.mspercury.test_bad_query_strings import GET_ROUTES, _share_token, _url

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Rendered by WeasyPrint into PDFs or sent as mail, never served to a browser as a page.
NOT_PAGES = ("pdf/", "einvoice/invoice.html", "mspercury/email/")


def _policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _assert_strict(response):
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert not any("unsafe" in v for values in policy.values() for v in values)


class InlineFinder(HTMLParser):
    """Collects what the policy would refuse: inline <script>, <style>, on*= and style=."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _value in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> block")
        if "style" in names:
            self.found.append(f"style= on <{tag}>")
        self.found += [f"{name}= on <{tag}>" for name in names if name.startswith("on")]
        self.found += [
            f"javascript: URL on <{tag}>"
            for _name, value in attrs
            if value and value.strip().lower().startswith("javascript:")
        ]


def _inline(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.found


def test_it_sends_the_policy_on_the_share_page(alpha, alice):
    """The customer's share page (no account) carries the strict policy and nothing inline."""
    token = _share_token(alpha, alice)
    response = Client().get(f"/q/{token}/")
    assert response.status_code == 200
    _assert_strict(response)
    assert _inline(response.content.decode()) == []


def test_it_sends_the_policy_on_login_and_signup(db):
    """Pages for visitors without a session carry it too."""
    for path in ("/login/", "/signup/"):
        response = Client().get(path)
        assert response.status_code == 200
        _assert_strict(response)
        assert _inline(response.content.decode()) == []


def test_it_sends_the_policy_on_errors_and_redirects(db):
    """Not-found pages and redirects are covered as well, not only 200s."""
    client = Client()
    _assert_strict(client.get("/customers/"))  # redirect to login
    _assert_strict(client.get("/no-such-page/"))


@pytest.mark.parametrize("route", GET_ROUTES, ids=lambda r: r.route or "/")
def test_staff_pages_have_the_policy_and_nothing_inline(route, alpha, alice, client_for):
    """Every route, opened by the workspace owner (and as an htmx fragment), answers with the
    policy and renders no inline script, style or handler."""
    url = _url(route, alpha, alice)
    client = client_for(alice)
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.get(url, **headers)
        _assert_strict(response)
        if response.get("Content-Type", "").startswith("text/html"):
            assert _inline(response.content.decode()) == [], url


def test_templates_have_nothing_inline():
    """Every page template, rendered or not in the tests above: no inline script, style or
    handler (htmx's own hx-on* attributes evaluate code too)."""
    offenders = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        relative = path.relative_to(TEMPLATES).as_posix()
        if relative.startswith(NOT_PAGES):
            continue
        text = path.read_text()
        found = _inline(text)
        if "hx-on" in text:
            found.append("hx-on attribute")
        if found:
            offenders[relative] = found
    assert not offenders


def test_htmx_injects_no_style_and_evaluates_nothing(client_for, alice):
    """htmx is told (by its meta config) not to add its indicator <style> nor to eval."""
    html = client_for(alice).get("/").content.decode()
    assert '"includeIndicatorStyles": false' in html
    assert '"allowEval": false' in html


def test_inline_finder_sees_what_the_policy_refuses():
    """The checker itself: each refused construct is reported, external scripts are not."""
    html = (
        '<script src="/static/js/app.js"></script><script>alert(1)</script>'
        '<style>p{}</style><p style="color:red" onclick="x()"><a href="javascript:x()">'
    )
    assert _inline(html) == [
        "inline <script>",
        "<style> block",
        "style= on <p>",
        "onclick= on <p>",
        "javascript: URL on <a>",
    ]
