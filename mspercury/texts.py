"""Words written now and read later, in the reader's language.

A Celery worker runs in the deployment's language, not in the language of the person who will
read what it writes (a notification, an audit entry, a push step). So such words are stored as
their English message id and the values that fill it, and translated when shown. Values may be
texts themselves (a reason inside a message) or lists of texts (one line each). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import translation
from django.utils.translation import gettext, ngettext


class Text:
    """A message in no language yet: ``str()`` gives it in the active language."""

    __slots__ = ("count", "msgid", "params", "plural")

    def __init__(self, msgid: str, /, **params: Any) -> None:
        self.msgid = msgid
        self.plural = ""  # set by plural()
        self.count: int | None = None
        self.params = params

    def __str__(self) -> str:
        return render(self.to_json())

    def __repr__(self) -> str:
        return f"Text({self.msgid!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(self.msgid)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"msgid": self.msgid}
        if self.plural:
            data |= {"plural": self.plural, "count": self.count}
        if self.params:
            data["params"] = {k: _value_json(v) for k, v in self.params.items()}
        return data


class Joined(Text):
    """Texts (or plain words) one after the other, ``sep`` between them."""

    __slots__ = ("items", "sep")

    def __init__(self, items: Iterable[Any], sep: str = "\n") -> None:
        super().__init__("")
        self.items = list(items)
        self.sep = sep

    def __repr__(self) -> str:
        return f"Joined({self.items!r})"

    def to_json(self) -> dict[str, Any]:
        return {"lines": [_value_json(item) for item in self.items], "sep": self.sep}


def plural(singular: str, plural_: str, count: int, **params: Any) -> Text:
    """A message whose form follows ``count`` (also available to it as ``%(count)s``)."""
    text = Text(singular, count=count, **params)
    text.plural, text.count = plural_, count
    return text


def as_text(lazy: Any) -> Text:
    """A lazy translation (a choice's label) as a text: its English message id, so it is
    translated again where it is read rather than fixed in the writer's language."""
    with translation.override(None):
        return Text(str(lazy))


def _value_json(value: Any) -> Any:
    if isinstance(value, Text):
        return value.to_json()
    if isinstance(value, list | tuple):
        return Joined(value).to_json()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # a Decimal, a lazy string, a date: fixed as written


def render(data: Any) -> str:
    """``data`` (a stored text, or plain words stored before texts existed) in the active
    language. A translation whose placeholders do not fit falls back to the English message."""
    if isinstance(data, str):
        return data
    if not isinstance(data, dict):
        return "" if data is None else str(data)
    if "lines" in data:
        sep: str = data.get("sep", "\n")
        return sep.join(render(line) for line in data["lines"])
    if "msgid" not in data:
        return ""
    msgid: str = data["msgid"]
    params = {k: render(v) if isinstance(v, dict) else v for k, v in data.get("params", {}).items()}
    message: str
    if data.get("plural"):
        message = ngettext(msgid, data["plural"], data.get("count") or 0)
    else:
        message = gettext(msgid)
    for candidate in (message, msgid):
        try:
            return candidate % params if params else candidate
        except (KeyError, ValueError, TypeError):
            continue
    return msgid  # values that fit no form: the words without them, never an error


def stored(words: object) -> dict[str, Any]:
    """What to store for ``words``: the text's JSON, or {} for plain words."""
    return words.to_json() if isinstance(words, Text) else {}
