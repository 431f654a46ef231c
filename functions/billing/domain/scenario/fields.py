"""Typed reads from one JSON object (`_Fields`), each error naming its dotted field; instants, dates
in range, time zones, languages, countries and currencies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from billing.domain.money import MAX_DIGITS, MoneyError, to_decimal
from billing.domain.pricing_errors import ScenarioError

T = TypeVar("T")
_MISSING = object()


class _Fields:
    """Typed reads from one JSON object, with the dotted path of each field for errors."""

    def __init__(self, data: Any, path: str, allowed: frozenset[str] | None = None) -> None:
        if not isinstance(data, Mapping):
            raise ScenarioError(path or "scenario", "must be an object")
        self.data = data
        self.path = path
        if allowed is not None:
            unknown = sorted(set(data) - allowed)
            if unknown:
                raise ScenarioError(self.at(unknown[0]), "unknown field")

    def at(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        if name in self.data and self.data[name] is not None:
            return self.data[name]
        if default is _MISSING:
            raise ScenarioError(self.at(name), "is required")
        return default

    def text(self, name: str, default: Any = _MISSING) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str) or not value.strip():
            raise ScenarioError(self.at(name), "must be a non-empty string")
        return value

    def integer(
        self, name: str, default: Any = _MISSING, minimum: int | None = None, maximum: int | None = None
    ) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(self.at(name), "must be an integer (minor units for amounts)")
        if abs(value) >= 10**MAX_DIGITS:
            raise ScenarioError(self.at(name), f"too large: at most {MAX_DIGITS} digits")
        if minimum is not None and value < minimum:
            raise ScenarioError(self.at(name), f"must be {minimum} or more")
        if maximum is not None and value > maximum:
            raise ScenarioError(self.at(name), f"must be {maximum} or less")
        return value

    def decimal(self, name: str, default: Any = _MISSING, minimum: Decimal | None = None) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        try:
            result = to_decimal(value)
        except MoneyError as error:
            raise ScenarioError(self.at(name), str(error)) from None
        if minimum is not None and result < minimum:
            raise ScenarioError(self.at(name), f"must be {minimum} or more")
        return result

    def label(self, name: str, default: str = "") -> str:
        """Free text that may be empty (a group, a unit, a prefix)."""
        value = self.raw(name, default)
        if not isinstance(value, str):
            raise ScenarioError(self.at(name), "must be a string")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.raw(name, default)
        if not isinstance(value, bool):
            raise ScenarioError(self.at(name), "must be true or false")
        return value

    def day(self, name: str, default: Any = _MISSING) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str):
            raise ScenarioError(self.at(name), "must be an ISO date (YYYY-MM-DD)")
        try:
            result = date.fromisoformat(value)
        except ValueError:
            raise ScenarioError(self.at(name), f"not an ISO date (YYYY-MM-DD): {value!r}") from None
        return _in_range(result, self.at(name))

    def instant(self, name: str, default: Any = _MISSING) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        return parse_instant(value, self.at(name))

    def choice(self, name: str, options: Callable[[str], T], default: Any = _MISSING) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        try:
            return options(value)
        except ValueError:
            allowed = getattr(options, "__members__", None)
            names = ", ".join(m.value for m in allowed.values()) if allowed else ""
            raise ScenarioError(self.at(name), f"must be one of: {names}; got {value!r}") from None

    def items(self, name: str, default: Any = _MISSING) -> list[Any]:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return list(value)
        if not isinstance(value, list):
            raise ScenarioError(self.at(name), "must be a list")
        return value

    def lines(self, name: str, default: Any = _MISSING) -> tuple[str, ...]:
        value = self.items(name, default)
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise ScenarioError(f"{self.at(name)}[{i}]", "must be a string")
        return tuple(value)


def parse_instant(value: Any, field: str) -> datetime:
    """An aware datetime from ISO 8601 text with an offset ('2026-03-01T12:00:00+01:00' or 'Z')."""
    if not isinstance(value, str):
        raise ScenarioError(field, "must be an ISO 8601 timestamp with an offset")
    try:
        result = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ScenarioError(field, f"not an ISO 8601 timestamp: {value!r}") from None
    if result.tzinfo is None or result.utcoffset() is None:
        raise ScenarioError(field, "needs a time zone offset (e.g. +01:00 or Z)")
    _in_range(result.date(), field)
    return result


# Periods, due dates and local midnights are computed around every date read: keep them all far
# from the ends of the calendar Python can represent.
FIRST_YEAR, LAST_YEAR = 1970, 2999


def _in_range(day: date, field: str) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ScenarioError(field, f"must be between {FIRST_YEAR} and {LAST_YEAR}")
    return day


def _check_zone(name: str, field: str) -> str:
    try:
        ZoneInfo(name)
    except (KeyError, ValueError):
        raise ScenarioError(field, f"unknown time zone {name!r}") from None
    return name


def _language(f: _Fields, name: str) -> str:
    value = f.text(name, "sv")
    if value not in ("sv", "en"):
        raise ScenarioError(f.at(name), f"must be 'sv' or 'en', got {value!r}")
    return str(value)


def _country(f: _Fields, name: str, default: str) -> str:
    value = f.text(name, default)
    if len(value) != 2 or not value.isalpha():
        raise ScenarioError(f.at(name), "must be a two-letter ISO country code")
    return str(value).upper()


def _currency(f: _Fields, name: str, default: Any = _MISSING) -> str:
    value = f.text(name, default)
    if len(value) != 3 or not value.isalpha():
        raise ScenarioError(f.at(name), "must be a three-letter ISO currency code")
    return str(value).upper()
