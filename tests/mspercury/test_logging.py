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
