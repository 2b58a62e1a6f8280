"""The /v1 route table and the per-request context handed to resource handlers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import no_such

if TYPE_CHECKING:
    from .app import Emulator
    from .keys import ApiKey


@dataclass
class Route:
    method: str
    template: str
    regex: re.Pattern
    handler: Callable
    params: type | None
    permission: tuple[str, str] | None


ROUTES: list[Route] = []


def route(method: str, template: str, params: type | None = None, perm=None):
    """Register a handler: `@route("POST", "/v1/customers/{customer}", CustomerUpdateParams,
    perm=("customers", "write"))`."""
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")

    def register(handler):
        ROUTES.append(Route(method, template, regex, handler, params, perm))
        return handler

    return register


def match(method: str, path: str) -> tuple[Route, dict] | None:
    """Literal templates win over placeholders (`/v1/invoices/create_preview` is not an
    invoice id), then registration order."""
    ordered = sorted(ROUTES, key=lambda r: "{" in r.template)
    for candidate in ordered:
        if candidate.method != method:
            continue
        found = candidate.regex.match(path)
        if found:
            return candidate, found.groupdict()
    return None


@dataclass
class Context:
    emu: Emulator
    key: ApiKey | None
    owner: tuple[str, bool]
    params: dict
    path: dict
    request_id: str | None = None
    idempotency_key: str | None = None
    url: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def store(self):
        return self.emu.store

    @property
    def livemode(self) -> bool:
        return self.owner[1]

    def now(self) -> int:
        return self.emu.store.now()

    def new_id(self, prefix: str) -> str:
        if prefix == "cs":
            prefix = "cs_live" if self.livemode else "cs_test"
        return self.emu.store.new_id(prefix)

    def get(self, kind: str, object_id: str, param: str | None = "id", label: str | None = None):
        obj = self.emu.store.get(kind, object_id, self.owner)
        if obj is None:
            raise no_such(label or kind, object_id, param)
        return obj

    def find(self, kind: str, object_id) -> dict | None:
        return self.emu.store.get(kind, object_id, self.owner)

    def internal(self, object_id: str) -> dict:
        return self.emu.store.internal[object_id]

    def add(self, kind: str, obj: dict, internal: dict | None = None) -> dict:
        return self.emu.store.add(kind, obj, self.owner, internal)

    def emit(self, event_type: str, obj: dict, previous: dict | None = None) -> dict:
        return self.emu.emit(
            self.owner,
            event_type,
            obj,
            previous=previous,
            request=(self.request_id, self.idempotency_key),
        )

    def render(self, obj: dict, expand: list[str] | None = None) -> dict:
        return self.emu.render(obj, self.owner, expand if expand is not None else self.expand)

    @property
    def expand(self) -> list[str]:
        return self.params.get("expand") or []
