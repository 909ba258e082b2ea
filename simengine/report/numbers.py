"""How numbers are written in the report, its charts and the planner page (one definition).

Digits are grouped in threes by a no-break space and the decimal sign is a point
(ISO 80000-1), in every language: ``30 604.5``, never ``30,604.5`` (read as thirty point six
in much of Europe) nor ``30.604,5``. Money is shown in the results' unit with no decimals
once it reaches 1 000, shares as percents, ratios with three decimals; charts never use an
offset or scientific notation on their axes (:func:`axis_formatter`).
"""

from __future__ import annotations

import math

__all__ = ["GROUP", "number_text", "value_text", "axis_formatter"]

#: Thousands separator: U+00A0 NO-BREAK SPACE (the report's font has no narrow one).
GROUP = "\u00a0"


def number_text(value: float, decimals: int = 0, *, sign: bool = False) -> str:
    """``value`` with ``decimals`` decimals and grouped digits (ASCII ``-``: the report's font has no U+2212)."""
    if math.isnan(value):
        return "–"
    text = f"{abs(value):,.{decimals}f}".replace(",", GROUP)
    if text.strip("0.\u00a0") == "":
        return text
    if value < 0:
        return "-" + text
    return ("+" + text) if sign else text


def value_text(value: float, kind: str, *, sign: bool = False, infinite: str = "∞", points: str = " pp") -> str:
    """A figure as the page and the report show it, by ``kind``.

    Parameters
    ----------
    value : float
    kind : {"money", "persons", "share", "ratio", "rank", "number"}
        ``money`` and ``number``: one decimal below 1 000, none above; ``persons``: whole
        persons; ``share``: percent with one decimal (percentage points with ``sign``);
        ``ratio``: three decimals; ``rank``: an integer.
    sign : bool
        Write ``+`` before positive values (for changes).
    infinite : str
        Words for an infinite value (a gain at no extra cost).
    points : str
        Suffix of a change in a share (percentage points).
    """
    if math.isinf(value):
        return infinite if value > 0 else "-" + infinite
    if kind == "share":
        return number_text(100 * value, 1, sign=sign) + (points if sign else "%")
    if kind == "ratio":
        return number_text(value, 3, sign=sign)
    if kind == "rank":
        return str(int(value))
    if kind == "persons":
        return number_text(value, 0, sign=sign)
    return number_text(value, 1 if abs(value) < 1000 else 0, sign=sign)


def axis_formatter(kind: str = "number"):
    """A matplotlib tick formatter writing ticks with :func:`value_text` (no offset, no ``1e6``)."""
    from matplotlib.ticker import FuncFormatter

    def tick(value: float, _position) -> str:
        if kind == "share":
            return number_text(100 * value, 0) + "%"
        if kind == "ratio":
            return number_text(value, 2)
        if kind == "year":
            return str(int(round(value)))
        return number_text(value, 0 if abs(value) >= 10 or value == int(value) else 1)

    return FuncFormatter(tick)
