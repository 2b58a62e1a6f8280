"""Typed readers for environment variables that fail loudly, naming the variable."""

import os
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None:
        file_path = os.environ.get(f"{name}_FILE")
        if file_path:
            try:
                with open(file_path, encoding="utf-8") as fh:
                    return fh.read().strip()
            except OSError as exc:
                raise ImproperlyConfigured(
                    f"{name}_FILE={file_path!r} cannot be read: {exc}"
                ) from exc
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use true or false")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# The demo's SQLite serves the web server, in-process tasks and webhook deliveries at once:
# writers queue (IMMEDIATE takes the write lock up front instead of failing on the upgrade from
# a read), wait up to 20 s for each other, and WAL lets readers go on during a write.
SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
}


def parse_database_url(name: str, url: str) -> dict:
    """Turn postgres://user:pass@host:port/db or sqlite:///path into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme in ("postgres", "postgresql", "pgsql"):
        db_name = unquote(parsed.path.lstrip("/"))
        if not db_name:
            raise ImproperlyConfigured(f"{name}={_mask(url)!r} names no database")
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        try:
            port = parsed.port
        except ValueError:
            raise ImproperlyConfigured(f"{name}={_mask(url)!r} has an invalid port") from None
        return {
            "ENGINE": "mspercury.db",  # PostgreSQL + the tenancy for row-level security
            "NAME": db_name,
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    if parsed.scheme == "sqlite":
        path = url[len("sqlite://") :]
        path = path[1:] if path.startswith("/") and not path.startswith("//") else path
        if path.startswith("//"):
            path = path[1:]
        if not path:
            raise ImproperlyConfigured(f"{name}={url!r} names no database file")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path, "OPTIONS": SQLITE_OPTIONS}
    raise ImproperlyConfigured(
        f"{name}={_mask(url)!r} is not supported; use postgres://user:pass@host:5432/db "
        "or sqlite:///path/to/db.sqlite3"
    )


def check_redis_url(name: str, url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss") or not parsed.hostname:
        raise ImproperlyConfigured(
            f"{name}={_mask(url)!r} is not a Redis URL; use redis://host:6379/0"
        )
    return url


def check_mail_address(name: str, address: str) -> str:
    """A bare address (``billing@example.com``), no display name: the name is the MSP's."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(address)
    except ValidationError:
        raise ImproperlyConfigured(
            f"{name}={address!r} is not an email address (e.g. mail@msp.example)"
        ) from None
    return address


def check_public_url(name: str, url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ImproperlyConfigured(f"{name}={url!r} must be an absolute http(s) URL")
    return url.rstrip("/")


def _mask(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url
