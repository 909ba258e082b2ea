"""Words of the report in English (default) or Korean, read from ``labels_<lang>.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError

__all__ = ["LANGUAGES", "Labels", "load_labels"]

LANGUAGES = ("en", "ko")


@dataclass(frozen=True)
class Labels:
    """Label tables of one language: ``ui``, ``figures``, ``provenance``, ``accounts``,
    ``channels``, ``levers``, ``lever_settings``, ``sectors`` (each key -> words)."""

    lang: str
    tables: dict[str, dict[str, str]]

    def __call__(self, group: str, key: str) -> str:
        """Words for ``key`` in ``group``; an unknown key reads as itself with spaces."""
        return self.tables.get(group, {}).get(str(key), str(key).replace("_", " "))

    def ui(self, key: str) -> str:
        return self("ui", key)

    def money_unit(self, currency: str, monetary_unit: str) -> str:
        """A money unit in words, e.g. ``KRW million`` or ``백만 원``."""
        scale = "" if monetary_unit == "one" else self("money_scales", monetary_unit)
        words = self.ui("money_format").format(currency=self("currencies", currency), scale=scale)
        return " ".join(words.split())

    def sector(self, code: str) -> str:
        """Sector name followed by its code, e.g. ``Construction (F)``; the code alone if unknown."""
        name = self.tables["sectors"].get(str(code))
        return f"{name} ({code})" if name else str(code)


def load_labels(lang: str = "en") -> Labels:
    """Read the label tables of ``lang`` (``"en"`` or ``"ko"``)."""
    if lang not in LANGUAGES:
        raise DataError(f"report language {lang!r} is not available; choose one of {list(LANGUAGES)}")
    with open(Path(__file__).parent / f"labels_{lang}.toml", "rb") as handle:
        return Labels(lang, tomllib.load(handle))
