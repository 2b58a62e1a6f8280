"""A log filter that masks anything shaped like a Stripe key or webhook secret."""

import contextvars
import logging
import re
import traceback

from django.conf import settings
from django.utils.log import AdminEmailHandler

SECRET_PATTERN = re.compile(r"\b((?:sk|rk|pk)_(?:test|live)_|whsec_)[A-Za-z0-9]{4,}")
# Paths whose last part is a bearer token: share pages, invites, webhook endpoints.
TOKEN_PATH_PATTERN = re.compile(r"(/(?:q|invite|webhooks/stripe)/)[A-Za-z0-9_-]{16,}")


def redact(text: str) -> str:
    text = SECRET_PATTERN.sub(lambda m: m.group(1) + "***", text)
    return TOKEN_PATH_PATTERN.sub(lambda m: m.group(1) + "***", text)


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
        token = _url_tokens.set(tuple(v for k, v in kwargs.items() if k == "token" and v))
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
