"""Start-up configuration: `manage.py check` in a fresh process with a chosen environment."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOOD_KEYS = "v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
OUR_VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "MSPERCURY_ENCRYPTION_KEYS",
    "DATABASE_URL",
    "REDIS_URL",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "MSPERCURY_PUBLIC_URL",
    "MSPERCURY_STRIPE_API_BASE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
)


def run_check(*args: str, **changes: str | None) -> subprocess.CompletedProcess:
    """Run manage.py check with a known-good development environment plus ``changes``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in OUR_VARIABLES and not any(k == f"{name}_FILE" for name in OUR_VARIABLES)
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests; --deploy rejects it
    env.update(
        DEBUG="1",
        SECRET_KEY="test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        MSPERCURY_ENCRYPTION_KEYS=GOOD_KEYS,
        DATABASE_URL="sqlite:///unused-by-check.sqlite3",
    )
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_starts_with_a_complete_environment():
    """The baseline used below passes, so each failure is caused by the one change."""
    result = run_check()
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"MSPERCURY_ENCRYPTION_KEYS": None}, "MSPERCURY_ENCRYPTION_KEYS"),
        ({"MSPERCURY_ENCRYPTION_KEYS": "v1:AAAA"}, "MSPERCURY_ENCRYPTION_KEYS"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"DEBUG": "0", "SECRET_KEY": "short", "ALLOWED_HOSTS": "example.com"}, "SECRET_KEY"),
        ({"DEBUG": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "example.com"}, "SECRET_KEY"),
        ({"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(60)}, "ALLOWED_HOSTS"),
    ],
)
def test_it_refuses_to_start_naming_the_variable(changes, named):
    """A missing or malformed setting stops start-up with a message naming the variable."""
    result = run_check(**changes)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last_line
    assert named in last_line


def test_it_masks_the_database_password_in_errors():
    """A rejected DATABASE_URL is quoted without its password."""
    result = run_check(DATABASE_URL="mysql://user:hunter2secret@db/x")
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "hunter2secret" not in result.stderr


def test_it_passes_the_deploy_check_in_production_mode():
    """With DEBUG off, a long random key and ALLOWED_HOSTS, --deploy reports no warning."""
    result = run_check(
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_warns_in_the_deploy_check_when_debug_is_on():
    """The deploy check is not vacuous: DEBUG on is reported and fails at WARNING level."""
    result = run_check("--deploy", "--fail-level", "WARNING", ALLOWED_HOSTS="example.com")
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout
