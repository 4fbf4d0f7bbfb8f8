"""The portal's languages: the catalogues (`locales/<language>.json`, one flat key space), and
dates, numbers and money in the chosen language's conventions (Babel's CLDR data).

Text the subgraphs write (a journey step's explanation) is shown as they wrote it."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("en", "fi")
DEFAULT = "en"
# CLDR locales: British English writes "1 March 2026", as GOV.UK does.
_BABEL = {"en": "en_GB", "fi": "fi_FI"}
COOKIE = "portal_lang"


@cache
def catalogue(language: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((LOCALES / f"{language}.json").read_text())
    return data


def choose(*candidates: str | None) -> str:
    """The first supported language among the candidates (session, cookie), else English."""
    for candidate in candidates:
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT


class Translator:
    def __init__(self, language: str, timezone: str = "Europe/Helsinki") -> None:
        self.language = choose(language)
        self.locale = Locale.parse(_BABEL[self.language])
        self.zone = ZoneInfo(timezone)
        self.messages = catalogue(self.language)

    def __call__(self, key: str, **values: object) -> str:
        text = self.messages.get(key)
        if text is None:
            # A missing key is a bug the catalogue test catches; show it rather than fail a page.
            return key
        return text.format(**values) if values else text

    def enum(self, group: str, value: object) -> str:
        """An enum value of the schema in words (`status.ACTION_NEEDED`), or itself unknown."""
        key = f"{group}.{value}"
        return self(key) if key in self.messages else str(value)

    def date(self, value: str | date | None) -> str:
        if value is None or value == "":
            return ""
        day = value if isinstance(value, date) else _parse_date(value)
        return str(value) if day is None else format_date(day, "long", locale=self.locale)

    def datetime(self, value: str | datetime | None) -> str:
        if value is None or value == "":
            return ""
        moment = value if isinstance(value, datetime) else _parse_datetime(value)
        if moment is None:
            return str(value)
        return format_datetime(moment, "medium", tzinfo=self.zone, locale=self.locale)

    def number(self, value: str | float | Decimal | None) -> str:
        amount = _decimal(value)
        return "" if amount is None else format_decimal(amount, locale=self.locale)

    def money(self, value: str | float | Decimal | None) -> str:
        amount = _decimal(value)
        return "" if amount is None else format_currency(amount, "EUR", locale=self.locale)


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _parse_datetime(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


def _decimal(value: str | float | Decimal | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None
