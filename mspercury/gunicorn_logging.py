"""Gunicorn's access log without bearer tokens (share links, invites, webhook paths) or keys."""

from gunicorn.glogging import Logger

from mspercury.logging import redact


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}
