"""One HTTP request to an accounting tool, its failures typed. Used by the Lexware Office and
sevDesk clients, which each say how their error bodies read.

- ``ValidationRefused``: the provider refused what we sent (400, Lexware's 406, sevDesk's 422),
  with its message kept verbatim and its details as sent.
- ``Unauthorized`` (401): the key is wrong or revoked. ``RateLimited`` (429) with how long to
  wait. ``NotFound`` (404), ``Conflict`` (409), ``Refused`` (any other 4xx, e.g. Lexware's 402
  contract issue).
- ``Unavailable``: 5xx, a timeout or a lost connection. ``may_have_landed`` is true for a write
  answered 504 (Lexware: "It is possible that your request has been processed successfully") or
  whose answer was lost after it was sent: the caller must look for what it created before it
  writes again. A connection that was never made carries false.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import requests

from integrations.accounting.throttle import Throttle

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_RETRY_AFTER = 1.0


class ProviderError(Exception):
    """A call to an accounting tool failed; ``message`` is the provider's words where it gave
    some."""

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        status: int | None = None,
        details: tuple[dict, ...] = (),
        body: str = "",
    ):
        super().__init__(message)
        self.provider = provider
        self.message = message
        self.status = status
        self.details = details
        self.body = body

    def __str__(self) -> str:
        parts = [self.message]
        for detail in self.details:
            field = detail.get("field") or detail.get("source")
            text = detail.get("message") or detail.get("i18nKey") or ""
            parts.append(f"{field}: {text}" if field else str(text))
        return "; ".join(p for p in parts if p)


class ValidationRefused(ProviderError):
    pass


class Unauthorized(ProviderError):
    pass


class NotFound(ProviderError):
    pass


class Conflict(ProviderError):
    pass


class Refused(ProviderError):
    pass


class RateLimited(ProviderError):
    def __init__(self, provider: str, message: str, *, retry_after: float, **kwargs: Any):
        super().__init__(provider, message, **kwargs)
        self.retry_after = retry_after


class Unavailable(ProviderError):
    def __init__(self, provider: str, message: str, *, may_have_landed: bool, **kwargs: Any):
        super().__init__(provider, message, **kwargs)
        self.may_have_landed = may_have_landed


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content or b"null")


# (message, details) read out of an error body, or None when the body is not the provider's.
BodyReader = Callable[[Any], "tuple[str, tuple[dict, ...]] | None"]
VALIDATION = frozenset({400, 406, 422})


def retry_after(headers: Mapping[str, str]) -> float:
    """Retry-After in seconds (Lexware documents none; then one second)."""
    try:
        return max(float(headers.get("Retry-After") or DEFAULT_RETRY_AFTER), 0.0)
    except ValueError:
        return DEFAULT_RETRY_AFTER


def _json_number(value: Any) -> float:
    """Decimals (quantities, prices, amounts) go out as JSON numbers: both APIs take numbers,
    and up to 4 decimals survive the float unchanged."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _never_sent(exc: requests.ConnectionError) -> bool:
    """The connection was never made (refused, unknown host): nothing reached the provider."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    text = repr(exc)
    return any(
        marker in text
        for marker in ("NewConnectionError", "NameResolutionError", "Connection refused")
    )


class Transport:
    """A session to one provider: base URL, auth header, timeout, throttle, error typing."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        headers: Mapping[str, str],
        *,
        timeout: float,
        read_body: BodyReader,
        throttle: Throttle | None = None,
        session: requests.Session | None = None,
    ):
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.read_body = read_body
        self.throttle = throttle
        self.session = session or requests.Session()
        self.session.headers.update(headers)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        accept: str = "application/json",
    ) -> Answer:
        if self.throttle is not None:
            self.throttle.wait()
        write = method in WRITES
        headers = {"Accept": accept}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body, default=_json_number).encode()
        try:
            response = self.session.request(
                method,
                f"{self.base_url}{path}",
                params=params,
                data=data,
                headers=headers,
                timeout=(min(self.timeout, 10.0), self.timeout),
            )
        except requests.ConnectionError as exc:
            never = _never_sent(exc)
            raise Unavailable(
                self.provider,
                f"{self.provider} could not be reached: {exc.__class__.__name__}",
                may_have_landed=write and not never,
            ) from exc
        except requests.Timeout as exc:  # a read timeout: the request went out
            raise Unavailable(
                self.provider,
                f"{self.provider} did not answer within {self.timeout:g} s",
                may_have_landed=write,
            ) from exc
        except requests.RequestException as exc:  # e.g. the answer broke off mid-body
            raise Unavailable(
                self.provider,
                f"{self.provider}'s answer was lost: {exc.__class__.__name__}",
                may_have_landed=write,
            ) from exc
        answer = Answer(response.status_code, response.headers, response.content)
        if 200 <= answer.status < 300:
            return answer
        raise self.error(method, answer)

    def error(self, method: str, answer: Answer) -> ProviderError:
        text = answer.content.decode("utf-8", "replace")
        try:
            parsed = self.read_body(answer.json())
        except ValueError:
            parsed = None
        message, details = parsed or ("", ())
        status = answer.status
        message = message or f"HTTP {status}"
        common = {"status": status, "details": details, "body": text}
        if status == 429:
            wait = retry_after(answer.headers)
            if self.throttle is not None:
                self.throttle.rate_limited(wait)
            return RateLimited(self.provider, message, retry_after=wait, **common)
        if status >= 500:
            landed = method in WRITES and status == 504
            return Unavailable(self.provider, message, may_have_landed=landed, **common)
        kind: type[ProviderError] = {
            401: Unauthorized,
            404: NotFound,
            409: Conflict,
        }.get(status, ValidationRefused if status in VALIDATION else Refused)
        return kind(self.provider, message, **common)
