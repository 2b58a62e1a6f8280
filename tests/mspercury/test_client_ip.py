"""Client addresses for rate limits and records, directly or behind trusted proxies."""

import pytest
from django.test import RequestFactory

from mspercury.audit import client_ip


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.5"),  # not behind a proxy: the header is ignored
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # a spoofed first entry is ignored
        (2, "198.51.100.1, 203.0.113.9, 10.1.1.1", "203.0.113.9"),
        (1, "", "10.0.0.5"),
        (1, "not-an-ip", "10.0.0.5"),
    ],
)
def test_it_trusts_only_our_own_proxies(settings, proxies, forwarded, expected):
    settings.MSPERCURY_TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_login_rate_limit_follows_the_forwarded_client(client, alice, settings):
    """Behind the proxy, one client's failures don't lock out everybody else."""
    settings.MSPERCURY_TRUSTED_PROXIES = 1
    settings.MSPERCURY_LOGIN_RATE = (1, 300)  # 3 per address per window
    for _ in range(4):
        client.post(
            "/login/",
            {"email": "x@example.org", "password": "wrong"},
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )
    blocked = client.post(
        "/login/",
        {"email": "y@example.org", "password": "wrong"},
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert "Too many sign-in attempts" in blocked.content.decode()
    other = client.post(
        "/login/",
        {"email": "y@example.org", "password": "wrong"},
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert "Too many sign-in attempts" not in other.content.decode()
