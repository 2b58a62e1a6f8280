"""Plain HTTP calls for the emulator tests (urllib: what the wire carries, nothing hidden)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


class Answer:
    def __init__(self, status: int, headers, raw: bytes):
        self.status = status
        self.headers = headers
        self.raw = raw

    @property
    def json(self):
        return json.loads(self.raw) if self.raw else None


def call(base: str, method: str, path: str, body=None, headers: dict | None = None, timeout=10):
    data = None
    all_headers = {"Accept": "application/json", **(headers or {})}
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(base + path, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Answer(answer.status, answer.headers, answer.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read())
