"""Suggested fixes, offered to the data steward only when they are certain enough; never applied here."""

from __future__ import annotations

import difflib
import itertools

from stdnum.cn import uscc

from lingpao.foundation.programme import Programme
from lingpao.foundation.text import fold_label

# Letters typed for digits they resemble; none of them may appear in a credit code.
LOOKALIKES = {"O": "0", "I": "1", "Z": "2", "S": "5"}


def suggest_code(code: str | None) -> str | None:
    """The code with look-alike letters read as digits, if exactly that makes it a valid code."""
    if not code or len(code) != 18:
        return None
    positions = [i for i, c in enumerate(code) if c in LOOKALIKES]
    if not positions or len(positions) > 4:
        return None
    candidates = set()
    for chosen in itertools.product([False, True], repeat=len(positions)):
        chars = list(code)
        for position, replace in zip(positions, chosen, strict=True):
            if replace:
                chars[position] = LOOKALIKES[chars[position]]
        candidate = "".join(chars)
        if candidate != code and uscc.is_valid(candidate):
            candidates.add(candidate)
    return candidates.pop() if len(candidates) == 1 else None


def _closest(raw: str | None, labels: dict[str, str]) -> str | None:
    """The single label a near-miss spelling stands for (prefix of, or close to, exactly one)."""
    value = fold_label(raw)
    if not value:
        return None
    folded = {fold_label(label): label for label in labels.values()}
    prefix = [label for key, label in folded.items() if key.startswith(value) and len(value) >= 2]
    if len(prefix) == 1:
        return prefix[0]
    close = difflib.get_close_matches(value, list(folded), n=2, cutoff=0.6)
    if len(close) == 1 or (
        len(close) == 2
        and difflib.SequenceMatcher(None, value, close[0]).ratio()
        > difflib.SequenceMatcher(None, value, close[1]).ratio() + 0.15
    ):
        return folded[close[0]]
    return None


def suggest_direction(raw: str | None, programme: Programme) -> str | None:
    if raw and sum(label in raw for label in programme.directions.values()) > 1:
        return None  # several directions: the applicant must choose, nobody can guess
    return _closest(raw, programme.directions)


def suggest_type(raw: str | None, programme: Programme) -> str | None:
    return _closest(raw, {k: v["label"] for k, v in programme.types.items()})
