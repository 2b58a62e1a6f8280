"""Lexware Office's event callbacks: find the connection by the URL's token → verify
``X-Lxo-Signature`` (RSA-SHA512 over the raw body, Lexware's public key) before anything of
the body is read → store the event once → read the invoice back in a task.

A bad or missing signature is answered 401 and nothing is stored or parsed. Lexware retries on
401 ("Delivery Failure Behavior"), which is what a callback signed with a rotated key needs: the
key is fetched again once the cached one fails.
"""

from __future__ import annotations

import json
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from integrations.lexware import readback
from integrations.lexware.client import SIGNATURE_HEADER, fetch_public_key, verify_signature
from mspercury import ratelimit, tenancy

logger = logging.getLogger(__name__)

KEY_CACHE = "lexware:public-key"
KEY_SECONDS = 24 * 3600
REFETCH_AFTER = 300  # a failing cached key is fetched again at most every five minutes


def public_key(*, fresh: bool = False) -> bytes:
    """Lexware's signing key, cached; ``fresh`` fetches it again (key rotation)."""
    cached = cache.get(KEY_CACHE)
    if cached and not fresh:
        return cached[0]
    pem = fetch_public_key(settings.MSPERCURY_LEXWARE_PUBLIC_KEY_URL)
    cache.set(KEY_CACHE, (pem, time.time()), KEY_SECONDS)
    return pem


def signed_by_lexware(body: bytes, signature: str | None) -> bool:
    if not signature:
        return False
    if verify_signature(body, signature, public_key()):
        return True
    cached = cache.get(KEY_CACHE)
    if cached and time.time() - cached[1] < REFETCH_AFTER:
        return False
    return verify_signature(body, signature, public_key(fresh=True))


def _enqueue(workspace_pk: int, event_pk: int) -> None:
    from integrations.tasks import process_lexware_event

    try:
        process_lexware_event.delay(workspace_pk, event_pk)
    except Exception:  # stored: the retry sweep processes it
        logger.exception("processing of stored Lexware event %s failed", event_pk)


@csrf_exempt
@require_http_methods(["POST", "HEAD"])
def lexware_callback(request, token):
    limit, window = settings.MSPERCURY_WEBHOOK_RATE
    if not ratelimit.hit_shared("lexware-callback", token[:16], limit, window):
        return JsonResponse({"error": "rate limited"}, status=429)
    with tenancy.system_context():
        connection = readback.find_connection(token)
    if connection is None:
        raise Http404
    if request.method == "HEAD":  # Lexware's reachability check when subscribing
        return HttpResponse(status=200)
    try:
        signed = signed_by_lexware(request.body, request.headers.get(SIGNATURE_HEADER))
    except Exception:  # the key could not be fetched: Lexware retries later
        logger.exception("Lexware's public key could not be fetched")
        return JsonResponse({"error": "signature key unavailable"}, status=503)
    if not signed:
        return JsonResponse({"error": "invalid signature"}, status=401)
    try:
        payload = json.loads(request.body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or not payload.get("resourceId"):
        return JsonResponse({"error": "not a Lexware event"}, status=400)
    if str(payload.get("organizationId") or "") != connection.organization_id:
        return JsonResponse({"received": True, "ignored": True})
    with tenancy.workspace_context(connection.workspace_id):
        event_pk = readback.store_event(connection, request.body, payload)
        if event_pk is not None:
            workspace_pk = connection.workspace_id
            transaction.on_commit(lambda: _enqueue(workspace_pk, event_pk))
    return JsonResponse({"received": True, "duplicate": event_pk is None})
