"""Phone numbers judged by phonenumbers (CN): the kind of each distinct number, cached in the warehouse."""

from __future__ import annotations

from functools import lru_cache

import duckdb
import pandas as pd
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


def refresh_phone_kinds(conn: duckdb.DuckDBPyConnection, tables: list[str]) -> int:
    """Add to `phone_kinds` the numbers of these tables not judged yet; returns how many were new."""
    conn.execute("CREATE TABLE IF NOT EXISTS phone_kinds (phone VARCHAR PRIMARY KEY, kind VARCHAR)")
    union = " UNION ".join(
        f"SELECT contact_phone FROM {t} WHERE contact_phone IS NOT NULL" for t in tables
    )
    new = conn.execute(
        f"SELECT DISTINCT contact_phone FROM ({union}) WHERE contact_phone NOT IN "
        "(SELECT phone FROM phone_kinds)"
    ).fetchall()
    if new:
        frame = pd.DataFrame({"phone": [p for (p,) in new]})
        frame["kind"] = frame["phone"].map(phone_kind)
        conn.register("_phones", frame)
        conn.execute("INSERT INTO phone_kinds SELECT phone, kind FROM _phones")
        conn.unregister("_phones")
    return len(new)
