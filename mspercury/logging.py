"""A log filter that masks anything shaped like a Stripe key or webhook secret."""

import logging
import re
import traceback

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
