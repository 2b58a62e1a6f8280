"""Keyset pagination: a page is the rows just beyond the last one seen, in a fixed order ending
in a unique column, so the thousandth page costs what the first costs (no OFFSET, no COUNT).

The cursor in a link names a row's sort values and a direction, signed with the list's scope
(e.g. the workspace): a forged, stale or foreign cursor opens the first page, never a 500.
NULL sorts as the largest value on every database, as PostgreSQL does by default."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import F, Q

AFTER, BEFORE = "a", "b"  # further along the list's order / back towards its start


@dataclass(frozen=True)
class KeysetPage:
    """One page of rows and the cursors of its neighbours (None where there is none)."""

    object_list: list = field(default_factory=list)
    previous_cursor: str | None = None
    next_cursor: str | None = None

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next


class Keyset:
    """Pages through a queryset in ``ordering`` ("-created", "-id"; the last key unique)."""

    def __init__(self, *ordering: str, size: int):
        self.keys = [(name.lstrip("-"), name.startswith("-")) for name in ordering]
        self.size = size

    def page(self, queryset, cursor: str | None, *, scope: str) -> KeysetPage:
        """The page ``cursor`` points to; the first page when it is missing or not valid."""
        fields = [queryset.model._meta.get_field(name) for name, _ in self.keys]
        direction, values = decode(cursor, scope, fields)
        ordered = queryset.order_by(*self._ordering(fields, reverse=direction == BEFORE))
        if values is not None:
            ordered = ordered.filter(self._beyond(fields, values, direction))
        rows = list(ordered[: self.size + 1])
        more, rows = len(rows) > self.size, rows[: self.size]
        if direction == BEFORE:
            rows.reverse()
        if not rows:  # past the end: the way back is the cursor's own position
            back = encode(BEFORE, values, scope) if values is not None else None
            return KeysetPage([], back, None)
        first, last = self._values(rows[0], fields), self._values(rows[-1], fields)
        has_previous = more if direction == BEFORE else direction == AFTER
        has_next = more if direction != BEFORE else True
        return KeysetPage(
            rows,
            encode(BEFORE, first, scope) if has_previous else None,
            encode(AFTER, last, scope) if has_next else None,
        )

    def _ordering(self, fields, *, reverse: bool):
        terms = []
        for (name, descending), model_field in zip(self.keys, fields, strict=True):
            descending = descending != reverse
            nulls = {"nulls_first": True} if descending else {"nulls_last": True}
            expression = F(name)
            if model_field.null:
                terms.append(expression.desc(**nulls) if descending else expression.asc(**nulls))
            else:
                terms.append(expression.desc() if descending else expression.asc())
        return terms

    def _beyond(self, fields, values, direction) -> Q:
        """Rows strictly beyond ``values`` in the direction of travel, with the first key's
        bound repeated on its own so that an index on the keys serves the range."""
        beyond = Q(pk__in=[])
        equal = Q()
        for (name, descending), model_field, value in zip(self.keys, fields, values, strict=True):
            greater = descending == (direction == BEFORE)
            beyond |= equal & _compare(name, model_field, value, greater=greater)
            equal &= _equal(name, model_field, value)
        first_name, first_descending = self.keys[0]
        greater = first_descending == (direction == BEFORE)
        bound = _compare(first_name, fields[0], values[0], greater=greater, or_equal=True)
        return bound & beyond

    @staticmethod
    def _values(row, fields) -> list:
        return [getattr(row, model_field.attname) for model_field in fields]


def _equal(name: str, model_field, value) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def _compare(name: str, model_field, value, *, greater: bool, or_equal: bool = False) -> Q:
    """``name`` greater (or less) than ``value``, NULL counting as the largest value."""
    nullable = model_field.null
    if value is None:
        if greater:
            return Q(**{f"{name}__isnull": True}) if or_equal else Q(pk__in=[])
        return Q() if or_equal else Q(**{f"{name}__isnull": False})
    lookup = ("gte" if or_equal else "gt") if greater else ("lte" if or_equal else "lt")
    condition = Q(**{f"{name}__{lookup}": value})
    if greater and nullable:
        condition |= Q(**{f"{name}__isnull": True})
    return condition


def _salt(scope: str) -> str:
    return f"mspercury.keyset:{scope}"


def encode(direction: str, values: list, scope: str) -> str:
    """A signed cursor for the row with sort ``values``, bound to ``scope``."""
    plain = [None if value is None else _plain(value) for value in values]
    return signing.dumps([direction, plain], salt=_salt(scope))


def decode(cursor: str | None, scope: str, fields) -> tuple[str | None, list | None]:
    """(direction, values) of a valid cursor; (None, None) for anything else."""
    if not cursor:
        return None, None
    try:
        direction, plain = signing.loads(cursor, salt=_salt(scope))
        if direction not in (AFTER, BEFORE) or len(plain) != len(fields):
            return None, None
        values = [
            None if value is None else model_field.to_python(value)
            for model_field, value in zip(fields, plain, strict=True)
        ]
    except (signing.BadSignature, ValidationError, TypeError, ValueError):
        return None, None
    if any(value is None and not f.null for f, value in zip(fields, values, strict=True)):
        return None, None
    return direction, values


def _plain(value):
    """A JSON-safe form of a sort value that the field's to_python reads back."""
    if isinstance(value, int | float | str | bool):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
