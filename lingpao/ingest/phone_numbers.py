"""A phone number's kind by phonenumbers (CN), and nothing else: light enough for worker processes."""

from __future__ import annotations

import json
import sys
from functools import lru_cache

import phonenumbers

VALID_KINDS = {"mobile", "fixed_line", "fixed_line_or_mobile"}
_KINDS = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed_line",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
}


@lru_cache(maxsize=65536)
def phone_kind(phone: object) -> str:
    """`mobile`, `fixed_line`, `fixed_line_or_mobile`, or `invalid`/`missing`/`other`."""
    if not isinstance(phone, str) or not phone:
        return "missing"
    try:
        number = phonenumbers.parse(phone, "CN")
    except phonenumbers.NumberParseException:
        return "invalid"
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return "invalid"
    return _KINDS.get(phonenumbers.number_type(number), "other")


def judge_chunk(phones: list[str]) -> list[str]:
    return [phone_kind(p) for p in phones]


if __name__ == "__main__":  # a worker of `phones.judge`: a JSON list of numbers in, their kinds out
    json.dump(judge_chunk(json.load(sys.stdin)), sys.stdout)
