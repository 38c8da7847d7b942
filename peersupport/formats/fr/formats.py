"""Dates et heures en français : un seul format partout (« 10 avr. 2026 », mois abrégés
en minuscules, heures sur 24 h). Les gabarits utilisent les formats nommés
(``DATE_FORMAT``, ``MONTH_DAY_FORMAT``, ``DATETIME_FORMAT``, ``TIME_FORMAT``)."""

DATE_FORMAT = "j N Y"
SHORT_DATE_FORMAT = "j N Y"
MONTH_DAY_FORMAT = "j N"
YEAR_MONTH_FORMAT = "F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j N Y, H:i"
SHORT_DATETIME_FORMAT = "j N Y, H:i"
