"""Chromium enforces the Content-Security-Policy: injected inline script does not run, while
the app's own scripts (htmx, app.js) do."""

import pytest

from tests.browser.conftest import _new_page


@pytest.fixture
def watched_page(browser, live_server, transactional_db):
    """A tab whose CSP refusals are returned to the test instead of failing it."""
    context, page = _new_page(browser, live_server)
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page, refused
    context.close()


def test_it_refuses_injected_inline_script(watched_page):
    """A script element with inline code, as an injection would add it, is refused."""
    page, refused = watched_page
    page.goto("/login/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = true'; document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.injected") is None
    assert any("inline script" in text for text in refused)


def test_the_apps_own_scripts_run_under_the_policy(page, sign_in, alice, alpha):
    """htmx loads (configured not to inject styles) and app.js submits the events filter."""
    sign_in(page, alice.email)
    page.goto("/settings/integrations/events/")
    assert page.evaluate("() => htmx.config.includeIndicatorStyles") is False
    assert page.evaluate("() => htmx.config.allowEval") is False
    page.select_option("select[name=status]", "failed")
    page.wait_for_url("**/settings/integrations/events/?status=failed*")
