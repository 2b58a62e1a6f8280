"""A log filter that masks anything shaped like a Stripe key or webhook secret, and every URL
path segment shaped like a bearer token (share, invite, webhook, pay and sign-in links, Checkout
return tickets, whatever route comes next) by its shape, not by a list of routes."""

import contextvars
import logging
import re
import traceback

from django.conf import settings
from django.utils.log import AdminEmailHandler

SECRET_PATTERN = re.compile(r"\b((?:sk|rk|pk)_(?:test|live)_|whsec_)[A-Za-z0-9]{4,}")
# A whole path segment (after "/", up to the next delimiter) of 20 or more URL-safe characters
# (":" joins the parts of a signed value): our tokens are 43 (token_urlsafe(32)), hex digests 40
# or 64, signed tickets about 100. Words and slugs are shorter or have no capital or digit; a
# UUID is a public id, not a secret.
TOKEN_SEGMENT_PATTERN = re.compile(r"(?<=/)[A-Za-z0-9_:-]{20,}(?=[/?#;&\s\"'<>]|$)")
UUID_PATTERN = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def looks_like_token(segment: str) -> bool:
    """Whether a URL path segment is to be read as a bearer token. Pure."""
    return (
        len(segment) >= 20
        and re.fullmatch(r"[A-Za-z0-9_:-]+", segment) is not None
        and any(c.isdigit() or c.isupper() for c in segment)
        and UUID_PATTERN.fullmatch(segment) is None
    )


def _mask_segment(match: re.Match) -> str:
    return "***" if looks_like_token(match.group(0)) else match.group(0)


def redact(text: str) -> str:
    text = SECRET_PATTERN.sub(lambda m: m.group(1) + "***", text)
    return TOKEN_SEGMENT_PATTERN.sub(_mask_segment, text)


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = ()
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so the traceback is printed redacted.
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
        return True


class RedactingAdminEmailHandler(AdminEmailHandler):
    """Error mail to ADMINS: the report lists the request's path, URL and headers, so the whole
    text is masked, and so is the request's own URL token wherever the report repeats it."""

    def emit(self, record: logging.LogRecord) -> None:
        if not settings.ADMINS:
            return
        resolved = getattr(getattr(record, "request", None), "resolver_match", None)
        kwargs = resolved.kwargs if resolved else {}
        captured = (v for v in kwargs.values() if isinstance(v, str) and looks_like_token(v))
        token = _url_tokens.set(tuple(captured))
        try:
            super().emit(record)
        finally:
            _url_tokens.reset(token)

    def send_mail(self, subject, message, *args, **kwargs):
        if kwargs.get("html_message"):
            kwargs["html_message"] = self._redact(kwargs["html_message"])
        super().send_mail(self._redact(subject), self._redact(message), *args, **kwargs)

    @staticmethod
    def _redact(text: str) -> str:
        for token in _url_tokens.get():
            text = text.replace(token, "***")
        return redact(text)


_url_tokens: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "url_tokens", default=()
)
