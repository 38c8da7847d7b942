"""Dates and times in English: one unambiguous format everywhere ("10 Apr 2026", 24-hour
times), never "04/10/2026" nor "11 p.m.". Templates use the named formats
(``DATE_FORMAT``, ``MONTH_DAY_FORMAT``, ``DATETIME_FORMAT``, ``TIME_FORMAT``)."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
