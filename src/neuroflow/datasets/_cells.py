"""Reading one CSV cell: numbers parsed strictly, missing-value markers, the header rule,
and the hints an error message gives about a cell (another delimiter, digit groups)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["parse_number", "is_number", "is_missing", "looks_like_header", "delimiter_hint",
           "number_hint", "first_duplicate", "name_list", "MISSING_MARKERS"]

#: Cells read as missing values (compared case-insensitively, surrounding blanks ignored).
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
#: Characters that, found in a cell, suggest the file uses another field separator.
_OTHER_DELIMITERS = (",", ";", "\t", "|")


def parse_number(cell: str) -> float | None:
    """The number written in ``cell`` (surrounding blanks ignored), or None.

    Strict: plain decimal notation with an optional sign, fraction and exponent
    (``-1.5e3``, ``.5``, ``7``), or ``inf``/``infinity``/``nan``. Unlike Python's
    ``float``, digit-group underscores (``1_000``), non-ASCII digits and hexadecimal are
    not numbers.
    """
    try:
        value = float(cell)
    except ValueError:
        return None
    # float() also reads "1_000" and non-ASCII digits ("١٢"); nothing else it accepts
    # (signs, exponents, inf, nan, blanks around) is refused here
    if "_" in cell or not cell.isascii():
        return None
    return value


def is_number(cell: str) -> bool:
    return parse_number(cell) is not None


def is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING_MARKERS


def looks_like_header(cells: Sequence[str]) -> bool:
    """The rule that decides whether row 1 is a header when the caller does not say.

    Row 1 is a header when none of its cells is a number or a missing-value marker
    (``NA``, ``null``, ``?``...; empty cells are allowed, as in a header whose first
    column has no name) and at least one cell is not empty. A row holding any number is
    data, so a data row with a typo is reported as an error, never skipped as a header.
    """
    texts = [cell.strip() for cell in cells]
    return (any(texts)
            and not any(is_number(text) or (text and is_missing(text)) for text in texts))


def delimiter_hint(cell: str, delimiter: str) -> str:
    """``; the file seems to use ';' between cells: pass delimiter=';'``, or ``""``."""
    for other in _OTHER_DELIMITERS:
        if other != delimiter and other in cell:
            return (f"; the file seems to use {other!r} between cells: pass "
                    f"delimiter={other!r} (--delimiter on the command line)")
    return ""


def number_hint(cell: str) -> str:
    """Why a cell that Python's ``float`` might accept is refused, or ``""``."""
    if "_" in cell and parse_number(cell.replace("_", "")) is not None:
        return " (digit-group underscores are not accepted: write it without them)"
    return ""


def first_duplicate(names: Sequence[str]) -> str | None:
    """The first name that occurs a second time in ``names``, or None."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None


def name_list(names: Sequence[str], limit: int = 10) -> str:
    """``'a', 'b' and 3 more``: names for a message, at most ``limit`` of them."""
    shown = ", ".join(repr(name) for name in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
