"""Fixtures for browser tests: Debian's Chromium driven by Playwright against live_server.

Playwright never downloads a browser here; the tests use the system `chromium` and are skipped
when it is missing. Playwright's sync API keeps an event loop in the test thread, so Django's
async-safety check would refuse the ORM calls made while it runs (the tests' own, database
setup and flushes); it is switched off from the first browser test on.
"""

import os
import shutil

import pytest

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright():
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session", autouse=True)
def _patient_expectations():
    """Assertions wait as long as actions: a loaded CI machine can be slow to answer."""
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _new_page(browser, live_server, **context_options):
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-US",
        viewport={"width": 1280, "height": 900},
        **context_options,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


@pytest.fixture
def page(browser, live_server, transactional_db):
    """A fresh browser tab (own cookies) whose relative URLs go to the live server.

    Chromium enforces the Content-Security-Policy: anything it refuses (an inline script,
    style or handler) fails the test that loaded it."""
    context, page = _new_page(browser, live_server)
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert not refused, f"blocked by the Content-Security-Policy: {refused}"


@pytest.fixture
def page_without_js(browser, live_server, transactional_db):
    """A tab with JavaScript switched off, for the no-JS paths."""
    context, page = _new_page(browser, live_server, java_script_enabled=False)
    yield page
    context.close()


@pytest.fixture
def sign_up():
    """Sign up through the form; returns the email used. Lands on workspace settings."""

    def _sign_up(page, *, email="erin@example.org", workspace="Erin IT", name="Erin Example"):
        from tests.conftest import PASSWORD

        page.goto("/signup/")
        page.fill("#id_full_name", name)
        page.fill("#id_email", email)
        page.fill("#id_password", PASSWORD)
        page.fill("#id_workspace_name", workspace)
        page.get_by_role("button", name="Create workspace").click()
        page.wait_for_url("**/settings/workspace/")
        return email

    return _sign_up


@pytest.fixture
def sign_in():
    """Sign in an existing user (without two-factor) through the login form."""

    def _sign_in(page, email, password=None):
        from tests.conftest import PASSWORD

        page.goto("/login/")
        page.fill("#id_email", email)
        page.fill("#id_password", password or PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()

    return _sign_in
