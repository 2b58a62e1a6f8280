"""Bytes that no page can use are refused before any view hands them to the database.

PostgreSQL text cannot hold NUL, and a query string that is not UTF-8 or runs to kilobytes is
never typed by a person; each would otherwise surface as a 500 in whichever view reads it.
"""

from urllib.parse import unquote_to_bytes

from django.http import HttpResponseBadRequest

# A search box, a filter or a ?next= URL fits comfortably; gunicorn caps the request line at 4 kB.
MAX_QUERY_VALUE = 2048


def query_string_problem(raw_query: bytes) -> str | None:
    """Why a raw (percent-encoded) query string is refused, or None when it is fine."""
    for part in raw_query.split(b"&"):
        try:
            decoded = unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return "The query string is not valid UTF-8."
        if "\x00" in decoded:
            return "The query string contains a NUL character."
        if any(len(piece) > MAX_QUERY_VALUE for piece in decoded.split("=", 1)):
            return "A query parameter is too long."
    return None


def path_problem(path: str) -> str | None:
    """Why a decoded request path is refused (URL tokens and ids are looked up as they are)."""
    if "\x00" in path:
        return "The path contains a NUL character."
    return None


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = path_problem(request.path_info) or query_string_problem(_raw_query(request))
        if problem:
            return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _raw_query(request) -> bytes:
    # WSGI hands the query string over as latin-1 text of the raw bytes.
    raw = request.META.get("QUERY_STRING", "")
    if isinstance(raw, bytes):
        return raw
    try:
        return raw.encode("latin-1")
    except UnicodeEncodeError:
        return raw.encode("utf-8")
