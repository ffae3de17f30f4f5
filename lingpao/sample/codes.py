"""Credit codes for sample companies: valid GB 32100-2015 codes and the ways offices misspell them."""

from __future__ import annotations

import random

from stdnum.cn import uscc

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Registration division codes of the 14 reporting units (characters 3-8 of the code).
DIVISIONS = {
    "石家庄": "130100",
    "唐山": "130200",
    "秦皇岛": "130300",
    "邯郸": "130400",
    "邢台": "130500",
    "保定": "130600",
    "张家口": "130700",
    "承德": "130800",
    "沧州": "130900",
    "廊坊": "131000",
    "衡水": "131100",
    "定州": "130682",
    "辛集": "130181",
    "雄安新区": "133100",
}
_FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in ALPHABET}


def make_code(rng: random.Random, division: str) -> str:
    """A valid 18-character code registered in the given division."""
    body = "91" + division + "".join(rng.choice(ALPHABET) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def misspell(rng: random.Random, code: str) -> str:
    """The same code as an office might type it: full-width, lower case, inner spaces, padding."""
    style = rng.choice(["plain", "plain", "lower", "full", "spaced", "padded", "full_lower"])
    if style == "lower":
        return code.lower()
    if style == "full":
        return "".join(_FULL_WIDTH.get(c, c) for c in code)
    if style == "full_lower":
        return "".join(_FULL_WIDTH.get(c, c) for c in code.lower()).replace("Ａ", "ａ")
    if style == "spaced":
        return f"{code[:6]} {code[6:12]} {code[12:]}"
    if style == "padded":
        return f"\u3000{code} "
    return code
