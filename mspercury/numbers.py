"""Reading numbers people type: a decimal comma or point, as the user's language writes them.

Browsers' `type=number` inputs drop or refuse a decimal comma in some locales (12,50 became
1250), so amounts are typed into text inputs and read here, on the server. The rule is pure.
"""

import re
from decimal import Decimal, InvalidOperation

_SPACES = re.compile(r"[\s\u00a0\u202f']")
_SHAPE = re.compile(r"^[+-]?[0-9.,]+$")


class AmbiguousNumber(ValueError):
    """One separator followed by exactly three digits: a thousands group or a decimal mark."""


def parse_decimal(text: str, decimal_mark: str = ".") -> Decimal:
    """Read ``text`` as a decimal number typed in a language whose decimal mark is
    ``decimal_mark``; either mark is accepted where the meaning is clear.

    - both marks: the rightmost is the decimal mark, the other groups thousands (1.234,56);
    - one mark, several times: it groups thousands (1.234.567);
    - one mark once: the decimal mark (12,50 or 12.5), unless exactly three digits follow
      and it is not this language's decimal mark (1.250 for a German user, 1,250 for an
      English one), which is ambiguous and refused;
    - spaces, no-break spaces and apostrophes group thousands and are ignored.
    Raises ValueError (AmbiguousNumber for the ambiguous case) for anything else.
    """
    compact = _SPACES.sub("", text or "")
    if not compact or not _SHAPE.match(compact):
        raise ValueError(text)
    sign = ""
    if compact[0] in "+-":
        sign, compact = compact[0].replace("+", ""), compact[1:]
    marks = [m for m in ".," if m in compact]
    if len(marks) == 2:
        point = max(compact.rfind("."), compact.rfind(","))
        integer, fraction = compact[:point], compact[point + 1 :]
        group_mark = "," if compact[point] == "." else "."
        integer = _ungroup(integer, group_mark)
    elif len(marks) == 1 and compact.count(marks[0]) > 1:
        integer, fraction = _ungroup(compact, marks[0]), ""
    elif len(marks) == 1:
        integer, _, fraction = compact.partition(marks[0])
        if len(fraction) == 3 and marks[0] != decimal_mark and integer not in ("", "0"):
            raise AmbiguousNumber(text)
    else:
        integer, fraction = compact, ""
    if not (integer or fraction) or not (integer or "0").isdigit():
        raise ValueError(text)
    if fraction and not fraction.isdigit():
        raise ValueError(text)
    try:
        return Decimal(f"{sign}{integer or '0'}.{fraction}" if fraction else f"{sign}{integer}")
    except InvalidOperation as exc:
        raise ValueError(text) from exc


def _ungroup(integer: str, mark: str) -> str:
    """The digits of ``integer`` grouped by ``mark`` in threes (1.234.567), or ValueError."""
    groups = integer.split(mark)
    if not groups[0].isdigit() or len(groups[0]) > 3:
        raise ValueError(integer)
    if any(len(group) != 3 or not group.isdigit() for group in groups[1:]):
        raise ValueError(integer)
    return "".join(groups)
