"""Content-Security-Policy on every response: scripts, styles and everything else come from the
app's own origin (its static files); no inline script, inline style or event-handler attribute
runs, so injected markup cannot execute."""

from django.conf import settings

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG and response.status_code in (404, 500):
            # Django's technical debug pages are styled inline; production never shows them.
            return response
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
