"""Text folding that never changes meaning: full-width to half-width, spaces, quotes, case."""

from __future__ import annotations

import re
import unicodedata

_QUOTES = str.maketrans("", "", "“”\"'‘’「」『』〝〞")
_SPACE = re.compile(r"\s+")
_TRAILING_UNIT = re.compile(r"\([^()]*\)$")


def fold(text: object) -> str:
    """NFKC-fold a cell (full-width letters, digits, brackets, ideographic space) and trim it."""
    if text is None:
        return ""
    return unicodedata.normalize("NFKC", str(text)).strip()


def fold_label(text: object) -> str:
    """Fold a label for comparison: NFKC, no whitespace, no quotes, lower case."""
    return _SPACE.sub("", fold(text)).translate(_QUOTES).lower()


def fold_header(text: object) -> str:
    """Fold a header: as a label, minus a trailing bracketed unit such as (万元)."""
    folded = fold_label(text)
    stripped = _TRAILING_UNIT.sub("", folded)
    return stripped or folded


def fold_unit(text: object) -> str:
    """A reporting unit name without spaces and without a trailing 市."""
    folded = _SPACE.sub("", fold(text))
    return folded[:-1] if folded.endswith("市") and len(folded) > 2 else folded


def is_ellipsis(text: object) -> bool:
    """True for placeholder cells such as `…`, `……`, `...`, `⋯`."""
    value = _SPACE.sub("", fold(text))
    return bool(value) and set(value) <= set(".…⋯·。、-")


def clean_label(text: object) -> str | None:
    """A free-text cell folded and with runs of whitespace collapsed; None if empty."""
    value = _SPACE.sub(" ", fold(text))
    return value or None
