"""Every token in a URL path is masked in every log by its shape, not by a list of routes: pay
links, portal sign-in links, Checkout return tickets, share, invite and webhook paths, and any
route that captures a token later."""

import logging
import re
import secrets
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core import signing
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import given
from hypothesis import strategies as st

from mspercury.logging import looks_like_token, redact
from mspercury.models import new_token
from tests.mspercury.test_logging import all_output  # noqa: F401

TOKEN = new_token()
TICKET = signing.dumps(str(uuid.uuid4()), salt="portal.checkout-return")


def _routes(resolver=None, prefix=""):
    """(route text, pattern) of every URL pattern the project serves."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.pattern


def _filled(route: str, value: str) -> str | None:
    """The route with every str/slug/path capture set to ``value`` and every other capture to a
    harmless value; None for regex routes."""
    if "^" in route or "(?P" in route:
        return None
    fillers = {"uuid": str(uuid.uuid4()), "int": "7", "str": value, "slug": value, "path": value}
    return "/" + re.sub(
        r"<(?:(\w+):)?\w+>", lambda m: fillers.get(m.group(1) or "str", value), route
    )


def _token_routes():
    found = []
    for route, _pattern in _routes():
        if re.search(r"<(?:str:|slug:|path:)?\w+>", route.replace("<uuid:", "<x:")):
            path = _filled(route, TOKEN)
            if path and TOKEN in path:
                found.append(path)
    return found


def test_every_route_that_captures_a_token_is_masked():
    """Every URL pattern with a text capture, filled with a real token, logs without it; the
    routes this issue is about are among them."""
    paths = _token_routes()
    for expected in ("/pay/", "/portal/login/", "/pay/back/", "/q/", "/invite/", "/webhooks/"):
        assert any(p.startswith(expected) for p in paths), expected
    for path in paths:
        line = redact(f'"GET {path}?x=1 HTTP/1.1" 200 512')
        assert TOKEN not in line, path


def test_no_route_of_ours_is_masked_without_a_token():
    """Literal route segments and public UUIDs stay readable in the log."""
    for route, _pattern in _routes():
        path = _filled(route, "word")
        if path:
            assert redact(path) == path, path


@given(st.integers(min_value=16, max_value=64))
def test_every_random_token_looks_like_one(nbytes):
    assert looks_like_token(secrets.token_urlsafe(nbytes))
    assert looks_like_token(secrets.token_hex(nbytes))


@pytest.mark.parametrize(
    "segment",
    [
        str(uuid.uuid4()),
        str(uuid.uuid4()).upper(),
        "site-packages",
        "payment_settings_and_more_words",
        "short0A",
        "exception_handlers_2.py",
    ],
)
def test_words_and_public_ids_are_not_tokens(segment):
    assert not looks_like_token(segment)
    assert redact(f"/x/{segment}/") == f"/x/{segment}/"


def test_a_signed_ticket_is_masked_whole():
    line = redact(f"GET /pay/back/{TICKET}/?session=cs_test_a1 HTTP/1.1")
    assert line == "GET /pay/back/***/?session=cs_test_a1 HTTP/1.1"


def test_runserver_request_log_masks_pay_sign_in_and_return_paths(all_output):  # noqa: F811
    """The development server's request lines, through the configured handler."""
    from django.core.servers.basehttp import WSGIRequestHandler

    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
    handler.request = None
    handler.client_address = ("127.0.0.1", 50000)
    for path in (f"/pay/{TOKEN}/", f"/portal/login/{TOKEN}/", f"/pay/back/{TICKET}/?session=cs_1"):
        handler.log_message('"%s" %s %s', f"GET {path} HTTP/1.1", "302", "0")
    output = all_output.getvalue()
    assert "/pay/***/" in output and "/portal/login/***/" in output and "/pay/back/***/" in output
    assert TOKEN not in output and TICKET not in output


@pytest.mark.django_db
def test_not_found_warnings_mask_unknown_pay_and_sign_in_tokens(all_output, client):  # noqa: F811
    """Django's "Not Found: <path>" for a stale token, through every configured handler."""
    for path in (f"/pay/{TOKEN}/", f"/portal/login/{TOKEN}/", f"/pay/back/{TICKET}/"):
        assert Client().get(path).status_code == 404
    output = all_output.getvalue()
    assert "Not Found: /pay/***/" in output and "Not Found: /portal/login/***/" in output
    assert TOKEN not in output and TICKET not in output


def test_gunicorn_access_log_masks_the_pay_link_in_path_and_referer():
    """gunicorn.conf.py's logger: the request line, the path and a Referer that carries one."""
    from gunicorn.config import Config

    from mspercury.gunicorn_logging import RedactingLogger

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/pay/back/{TICKET}/?session=cs_1",
        "PATH_INFO": f"/pay/back/{TICKET}/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "QUERY_STRING": "session=cs_1",
        "HTTP_REFERER": f"https://msp.example/pay/{TOKEN}/",
    }
    request = SimpleNamespace(headers=[("REFERER", f"https://msp.example/pay/{TOKEN}/")])
    atoms = RedactingLogger(Config()).atoms(
        SimpleNamespace(status="302 Found", sent=0, headers=[]),
        request,
        environ,
        timedelta(seconds=0),
    )
    text = " ".join(str(v) for v in atoms.values())
    assert TOKEN not in text and TICKET not in text
    assert "/pay/back/***/" in atoms["r"] and atoms["f"] == "https://msp.example/pay/***/"


def test_every_handler_masks_a_pay_link(all_output):  # noqa: F811
    """A pay link's path written into any message reaches no configured handler in clear."""
    logging.getLogger("portal.tests").warning("opened https://msp.example/pay/%s/", TOKEN)
    logging.getLogger("django.request").error("failed /portal/login/%s/", TOKEN)
    output = all_output.getvalue()
    assert TOKEN not in output and output.count("/***/") >= 2
