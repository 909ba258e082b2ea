"""The report's font: a renamed subset of NanumGothic that draws Latin and every Hangul syllable.

The shipped file ``fonts/SimEngineHangul-Regular.ttf`` is a Modified Version (under the SIL
Open Font License 1.1, ``fonts/OFL.txt``) of NanumGothic (NAVER Corporation, Debian package
``fonts-nanum`` 20200506-1): subset to Basic Latin, Latin-1, punctuation, Hangul compatibility
jamo and the 11,172 modern Hangul syllables, hinting dropped, and renamed because "NanumGothic"
is a Reserved Font Name. Rebuild it with
``python -m simengine.report.fonts /usr/share/fonts/truetype/nanum/NanumGothic.ttf``.

A report embeds a further subset holding only the characters it uses (a few tens of kB) as a
base64 ``@font-face``; matplotlib draws the PNG/SVG figures with the same file.
"""

from __future__ import annotations

import base64
import io
import sys
from functools import cache
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

__all__ = ["FONT_FAMILY", "FONT_PATH", "font_subset", "font_face_css", "matplotlib_font_family"]

#: Family name of the shipped font (in its name table, in CSS and in matplotlib).
FONT_FAMILY = "SimEngine Hangul"
FONT_PATH = Path(__file__).parent / "fonts" / "SimEngineHangul-Regular.ttf"

#: Code points of the shipped font (see the module docstring).
SHIPPED_CODEPOINTS = (
    *range(0x20, 0x7F),
    *range(0xA0, 0x100),
    *range(0x2010, 0x2070),
    *range(0x3130, 0x3190),
    *range(0xAC00, 0xD7A4),
    0x2190,
    0x2192,
    0x2212,
    0x20A9,
    0x2248,
    0x2264,
    0x2265,
    0x3000,
    0x3001,
    0x3002,
)


def font_subset(source: str | Path, codepoints, *, rename: bool = False) -> TTFont:
    """Subset a TrueType font to ``codepoints`` (glyph components follow), without hinting.

    Parameters
    ----------
    source : path
        TrueType font file.
    codepoints : iterable of int
        Unicode code points to keep; those the font lacks are ignored.
    rename : bool
        Set the family and full names to :data:`FONT_FAMILY` (the OFL requires a new name
        for a Modified Version of a font with Reserved Font Names); copyright and licence
        records stay.
    """
    options = subset.Options()
    options.hinting = False
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["TSI0", "TSI1", "TSI2", "TSI3", "TSI5", "DSIG"]
    font = TTFont(source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=set(codepoints))
    subsetter.subset(font)
    if rename:
        names = {
            1: FONT_FAMILY,
            2: "Regular",
            3: f"{FONT_FAMILY} Regular (subset of NanumGothic)",
            4: f"{FONT_FAMILY} Regular",
            6: FONT_FAMILY.replace(" ", "") + "-Regular",
        }
        table = font["name"]
        table.names = [n for n in table.names if n.nameID not in (*names, 16, 17, 18)]
        for name_id, value in names.items():
            table.setName(value, name_id, 3, 1, 0x409)
            table.setName(value, name_id, 1, 0, 0)
    return font


def font_face_css(text: str) -> str:
    """A CSS ``@font-face`` rule embedding the shipped font, subset to the characters of ``text``.

    Printable ASCII is always kept, so numbers and Latin labels added later still draw.
    """
    codepoints = {ord(c) for c in text} | set(range(0x20, 0x7F))
    font = font_subset(FONT_PATH, codepoints)
    font.flavor = "woff"
    buffer = io.BytesIO()
    font.save(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f"@font-face {{ font-family: '{FONT_FAMILY}'; font-style: normal; font-weight: 100 900; "
        f"src: url(data:font/woff;base64,{data}) format('woff'); }}"
    )


@cache
def matplotlib_font_family() -> str:
    """Register the shipped font with matplotlib (once) and return its family name."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(FONT_PATH))
    return FONT_FAMILY


def _rebuild(source: str) -> None:
    font = font_subset(source, SHIPPED_CODEPOINTS, rename=True)
    font.save(FONT_PATH)
    print(f"wrote {FONT_PATH} ({FONT_PATH.stat().st_size} bytes)")


if __name__ == "__main__":
    _rebuild(sys.argv[1])
