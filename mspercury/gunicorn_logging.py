"""Gunicorn's access and error logs without bearer tokens (any token-shaped path segment, see
mspercury.logging) or keys."""

from gunicorn.glogging import Logger

from mspercury.logging import RedactSecretsFilter, redact


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        # The error log names the request URI when a worker fails ("Error handling request ...").
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(f, RedactSecretsFilter) for f in handler.filters):
                    handler.addFilter(RedactSecretsFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}
