import io
import logging

import pytest

from mspercury.logging import RedactSecretsFilter, redact

SECRETS = [
    "sk_live_51HqLyjWDarjtT1zdp7dcXYZ",
    "rk_test_51HqLyjWDarjtT1zdp7dcABC",
    "whsec_a1b2c3d4e5f6g7h8i9j0",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "pk_live_abcdEFGH1234",
]


def _configured_handler() -> logging.Handler:
    """The console handler that settings.LOGGING put on the root logger."""
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, RedactSecretsFilter) for f in handler.filters):
            return handler
    raise AssertionError("no handler with RedactSecretsFilter on the root logger")


@pytest.fixture
def log_output():
    handler = _configured_handler()
    buffer = io.StringIO()
    old_stream = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(old_stream)


@pytest.mark.parametrize("secret", SECRETS)
def test_it_masks_secrets_in_log_output(log_output, secret):
    """A key logged through the configured handler shows only its prefix."""
    logging.getLogger("mspercury.tests").warning("Stripe call with key %s failed", secret)
    output = log_output.getvalue()
    assert "Stripe call with key" in output
    assert secret not in output
    assert secret[secret.index("_", 3) + 1 :][:6] not in output
    assert secret.split("_")[0] + "_" in output
    assert "***" in output


def test_it_masks_secrets_written_into_the_message(log_output):
    """Secrets formatted into the message itself (f-strings) are masked too."""
    secret = "whsec_" + "Z" * 32
    logging.getLogger("mspercury.tests").error(f"webhook secret={secret} rejected")
    assert "whsec_***" in log_output.getvalue()
    assert "Z" * 8 not in log_output.getvalue()


def test_it_leaves_other_messages_alone(log_output):
    """Ordinary text and its arguments are logged unchanged."""
    logging.getLogger("mspercury.tests").warning("quote %s sent to %s", "Q-0001", "ask_live_x")
    assert "quote Q-0001 sent to ask_live_x" in log_output.getvalue()


def test_the_filter_rewrites_the_record():
    """Called directly, the filter keeps the record and replaces its message."""
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "keys: %s and %s", (SECRETS[0], SECRETS[1]), None
    )
    assert RedactSecretsFilter().filter(record) is True
    assert record.getMessage() == "keys: sk_live_*** and rk_test_***"


def test_redact_masks_every_occurrence():
    """All secrets in one text are masked."""
    text = " ".join(SECRETS)
    masked = redact(text)
    assert masked == "sk_live_*** rk_test_*** whsec_*** sk_test_*** pk_live_***"


def test_it_masks_secrets_inside_tracebacks():
    """A key inside an exception message does not reach the log output in plain text."""
    import io
    import logging

    from mspercury.logging import RedactSecretsFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecretsFilter())
    logger = logging.getLogger("tests.redact.traceback")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        raise ValueError("bad key rk_live_SuperSecretValue1234")
    except ValueError:
        logger.exception("push failed")
    output = stream.getvalue()
    assert "SuperSecretValue1234" not in output
    assert "rk_live_***" in output


def test_it_masks_tokens_in_paths():
    """Share-link, invite and webhook tokens never reach logs in full."""
    from mspercury.logging import redact

    token = "pQ3x_Vd9Kk2mZt0aL7bN5cR8sW1yE4uH6jF0gT2iO9"
    for path in (f"/q/{token}/", f"/invite/{token}/", f"/webhooks/stripe/{token}/"):
        line = redact(f'GET {path}accept/ HTTP/1.1" 410')
        assert token not in line and "***" in line


def test_gunicorn_access_log_is_redacted():
    """The access logger used by gunicorn.conf.py masks the token of a share page."""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    from mspercury.gunicorn_logging import RedactingLogger

    token = "pQ3x_Vd9Kk2mZt0aL7bN5cR8sW1yE4uH6jF0gT2iO9"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/q/{token}/",
        "PATH_INFO": f"/q/{token}/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "QUERY_STRING": "",
    }
    atoms = RedactingLogger(Config()).atoms(
        SimpleNamespace(status="200 OK", sent=10, headers=[]), {}, environ, timedelta(seconds=0)
    )
    assert token not in atoms["r"] and token not in atoms["U"]


TOKEN = "pQ3x_Vd9Kk2mZt0aL7bN5cR8sW1yE4uH6jF0gT2iO9"


def _project_handlers():
    """Every handler on every logger, except the ones pytest itself installs."""
    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    seen = {}
    for lg in loggers:
        for handler in lg.handlers:
            if not type(handler).__module__.startswith("_pytest"):
                seen[id(handler)] = (lg.name, handler)
    return list(seen.values())


@pytest.fixture
def all_output():
    """What every configured stream handler writes (Django's defaults included, if present)."""
    buffer = io.StringIO()
    streams = [
        (handler, handler.setStream(buffer))
        for _name, handler in _project_handlers()
        if isinstance(handler, logging.StreamHandler)
    ]
    try:
        yield buffer
    finally:
        for handler, old in streams:
            handler.setStream(old)


def test_every_configured_handler_masks_secrets_and_tokens():
    """No logger the project configures (root, django, django.server, ...) has an unfiltered
    handler: Django's default console and runserver handlers are replaced."""
    handlers = _project_handlers()
    assert {"root", "django", "django.server"} <= {name for name, _h in handlers}
    unfiltered = [
        (name, type(h).__name__)
        for name, h in handlers
        if not isinstance(h, logging.NullHandler)  # writes nothing
        and not any(isinstance(f, RedactSecretsFilter) for f in h.filters)
    ]
    assert not unfiltered


def test_runserver_request_log_masks_tokens(all_output):
    """The development server's request line for a share page shows no token."""
    from django.core.servers.basehttp import WSGIRequestHandler

    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
    handler.request = None
    handler.client_address = ("127.0.0.1", 50000)
    for path, status in ((f"/q/{TOKEN}/", "200"), (f"/webhooks/stripe/{TOKEN}/", "500")):
        handler.log_message('"%s" %s %s', f"GET {path} HTTP/1.1", status, "512")
    output = all_output.getvalue()
    assert "/q/***" in output and "/webhooks/stripe/***" in output
    assert TOKEN not in output


@pytest.fixture
def broken_webhook_url(alpha):
    """A webhook address whose secret no longer decrypts (its key left the ring): a real 500."""
    from integrations.models import StripeConnection

    conn = StripeConnection(
        workspace=alpha, key_prefix="rk_test_", key_last4="abcd", mode="test", account_id="acct_1"
    )
    conn.api_key = "rk_test_logging_abcd"
    conn.webhook_secret = "whsec_logging_0123456789"
    conn.webhook_token = TOKEN
    conn.save()
    StripeConnection.objects.filter(pk=conn.pk).update(webhook_secret_encrypted="v9:AAAA")
    return f"/webhooks/stripe/{TOKEN}/"


def test_internal_server_error_log_masks_the_webhook_token(
    broken_webhook_url, all_output, client, settings
):
    """Django's "Internal Server Error: <path>" line and its traceback carry no token, with
    DEBUG on (the console Django adds for runserver) as well as off."""
    client.raise_request_exception = False
    for debug in (True, False):
        settings.DEBUG = debug
        assert (
            client.post(broken_webhook_url, data="{}", content_type="application/json").status_code
            == 500
        )
    output = all_output.getvalue()
    assert output.count("Internal Server Error: /webhooks/stripe/***") >= 2
    assert TOKEN not in output


def test_error_mail_to_admins_masks_the_webhook_token(broken_webhook_url, client, settings):
    """The error report mailed to ADMINS (path, URL, headers) shows no token."""
    from django.core import mail

    settings.DEBUG = False
    settings.ADMINS = [("Ops", "ops@example.org")]
    client.raise_request_exception = False
    client.post(broken_webhook_url, data="{}", content_type="application/json")
    assert len(mail.outbox) == 1
    report = mail.outbox[0]
    assert "/webhooks/stripe/***" in report.subject
    assert TOKEN not in report.subject and TOKEN not in report.body
    assert all(TOKEN not in str(content) for content, _type in report.alternatives)


def test_gunicorn_error_log_is_redacted():
    """gunicorn's error log ("Error handling request <uri>") masks the token too."""
    from gunicorn.config import Config

    from mspercury.gunicorn_logging import RedactingLogger

    logger = RedactingLogger(Config())
    buffer = io.StringIO()
    for handler in logger.error_log.handlers:
        handler.setStream(buffer)
    logger.error("Error handling request %s", f"/q/{TOKEN}/accept/")
    assert "/q/***" in buffer.getvalue() and TOKEN not in buffer.getvalue()


def test_celery_worker_logs_are_redacted():
    """A worker's own handlers (it replaces the root logger's) get the redact filter."""
    from celery import signals

    target = logging.getLogger("tests.celery.worker")
    target.propagate = False
    buffer = io.StringIO()
    target.addHandler(logging.StreamHandler(buffer))
    signals.after_setup_logger.send(sender=None, logger=target, loglevel=logging.INFO)
    target.warning("task failed for /invite/%s/", TOKEN)
    assert "/invite/***" in buffer.getvalue() and TOKEN not in buffer.getvalue()
