"""China's official working days (holidays and make-up working days), from `chinese-calendar`."""

from __future__ import annotations

import datetime as dt

import chinese_calendar


class CalendarUnknown(ValueError):
    """The calendar package has no official arrangement for this year yet."""


def is_working_day(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        raise CalendarUnknown(
            f"日历数据中还没有{day.year}年的法定节假日安排（chinesecalendar "
            f"{getattr(chinese_calendar, '__version__', '')}），请升级该软件包后再试"
        ) from None


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The last day of a period of `days` working days starting on `start` (counted when it is a
    working day itself)."""
    if days < 1:
        raise ValueError("工作日数应至少为 1")
    current, counted = start, 0
    while True:
        if is_working_day(current):
            counted += 1
            if counted == days:
                return current
        current += dt.timedelta(days=1)


def day_note(day: dt.date) -> str | None:
    """Why a date needs a second look: it is not a working day (a weekend or a holiday); None when
    it is one, or when the calendar does not cover its year yet (said instead)."""
    try:
        if is_working_day(day):
            return None
    except CalendarUnknown:
        return f"{day:%Y-%m-%d} 的节假日安排尚未发布"
    name = chinese_calendar.get_holiday_detail(day)[1]
    holiday = f"（{HOLIDAYS.get(name, name)}）" if name else ""
    return f"{day:%Y-%m-%d} 不是工作日{holiday}"


HOLIDAYS = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
}
