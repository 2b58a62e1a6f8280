"""The single VIES seam: one POST to VIES's REST API, answered by a typed `ViesResult`.

`check_vat(country, number, requester=(cc, number))` never raises for VIES's or the network's
failures: every answer is VALID, INVALID or UNCONFIRMED with an error code. An error is never an
"invalid" verdict: VIES answers errors as HTTP 200 with `actionSucceed: false` and
`errorWrappers`, the GET variant as `isValid: false` with the code in `userError`; both come
back UNCONFIRMED here.

The base URL is the deployment setting MSPERCURY_VIES_URL (the emulator in the demo and the
tests); the timeout is MSPERCURY_VIES_TIMEOUT seconds. Standard library HTTP.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime

from django.conf import settings

# The port's vocabulary lives with the VAT IDs it checks; this module is its client.
from customers.vatids.vies import PERMANENT, TRANSIENT, Verdict, ViesResult, split_vat_id  # noqa: F401

DEFAULT_TIMEOUT = 10.0


def check_vat(
    country: str,
    number: str,
    *,
    requester: tuple[str, str] | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> ViesResult:
    """Ask VIES about `country` + `number` (without its prefix), as `requester` (the MSP's own
    VAT ID, split like `split_vat_id`) so VIES issues a consultation number."""
    country, number = country.upper(), number.upper()
    base = (base_url or settings.MSPERCURY_VIES_URL).rstrip("/")
    if timeout is None:
        timeout = float(getattr(settings, "MSPERCURY_VIES_TIMEOUT", DEFAULT_TIMEOUT))
    body: dict[str, str] = {"countryCode": country, "vatNumber": number}
    if requester and requester[0] and requester[1]:
        body["requesterMemberStateCode"] = requester[0]
        body["requesterNumber"] = requester[1]
    request = urllib.request.Request(  # noqa: S310 - a deployment setting, http(s) only
        f"{base}/check-vat-number",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )

    def unconfirmed(code: str, message: str = "", raw: dict | None = None) -> ViesResult:
        return ViesResult(
            Verdict.UNCONFIRMED,
            country,
            number,
            error_code=code,
            error_message=message,
            raw=raw or {},
        )

    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            status, payload = answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        # VIES's error wrappers can come with a 4xx/5xx too: read them like a 200's.
        status, payload = exc.code, exc.read()
    except TimeoutError:
        return unconfirmed("TIMEOUT", f"VIES did not answer within {timeout:g} s")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            return unconfirmed("TIMEOUT", f"VIES did not answer within {timeout:g} s")
        return unconfirmed("NETWORK_ERROR", f"VIES could not be reached: {reason}")
    return interpret(country, number, status, payload)


def interpret(country: str, number: str, status: int, payload: bytes) -> ViesResult:
    """Turn one HTTP answer of VIES into a ViesResult (pure; the tests feed it shapes)."""
    try:
        data = json.loads(payload or b"null")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return ViesResult(
            Verdict.UNCONFIRMED,
            country,
            number,
            error_code="BAD_RESPONSE",
            error_message=f"HTTP {status} without a VIES answer",
        )

    def unconfirmed(code: str, message: str = "") -> ViesResult:
        return ViesResult(
            Verdict.UNCONFIRMED, country, number, error_code=code, error_message=message, raw=data
        )

    wrappers = data.get("errorWrappers") or []
    if data.get("actionSucceed") is False or wrappers:
        first = wrappers[0] if wrappers and isinstance(wrappers[0], dict) else {}
        code = str(first.get("error") or "SERVICE_UNAVAILABLE").upper()
        return unconfirmed(code, str(first.get("message") or ""))
    user_error = str(data.get("userError") or "").upper()
    if user_error and user_error not in ("VALID", "INVALID"):
        return unconfirmed(user_error)  # GET /ms/..: isValid false, the error in userError
    valid = data.get("valid", data.get("isValid"))
    if status != 200 or not isinstance(valid, bool):
        return unconfirmed("BAD_RESPONSE", f"HTTP {status} without a verdict")
    return ViesResult(
        Verdict.VALID if valid else Verdict.INVALID,
        str(data.get("countryCode") or country).upper(),
        str(data.get("vatNumber") or number).upper(),
        consultation_number=str(data.get("requestIdentifier") or ""),
        name=_text(data.get("name")),
        address=_text(data.get("address")),
        request_date=_date(data.get("requestDate")),
        raw=data,
    )


def _text(value) -> str:
    """VIES answers "---" where a member state does not disclose a name or address."""
    text = str(value or "").strip()
    return "" if text == "---" else text


def _date(value) -> datetime | None:
    if not value:
        return None
    text = str(value).strip().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
