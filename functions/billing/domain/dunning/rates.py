"""The Riksbank reference rate (referensränta, räntelagen 9 §) per calendar half-year, as data.

The rates live in `functions/billing/data/riksbank_reference_rates.json`; the caller reads that file
and hands the parsed JSON to `parse_reference_rates`. Each entry covers exactly one half-year (from
1 January or 1 July), and the entries must be contiguous: a gap would silently reuse an old rate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from billing.domain.dunning.errors import ReferenceRateError, ReferenceRateMissing

# Published with two decimals ("4,00"); a third decimal would be a typo, not a rate.
_RATE_PATTERN = re.compile(r"^-?\d{1,2}\.\d{2}$")


def half_year_start(day: date) -> date:
    """1 January or 1 July of the half-year `day` falls in."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def next_half_year_start(day: date) -> date:
    start = half_year_start(day)
    return date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)


@dataclass(frozen=True)
class ReferenceRate:
    effective_from: date
    rate_percent: Decimal


@dataclass(frozen=True)
class ReferenceRates:
    """Contiguous half-year rates, oldest first; covers `first_day` up to and including `last_day`."""

    rates: tuple[ReferenceRate, ...]

    def __post_init__(self) -> None:
        if not self.rates:
            raise ReferenceRateError("rates", "at least one half-year is needed")
        for i, rate in enumerate(self.rates):
            if rate.effective_from != half_year_start(rate.effective_from):
                raise ReferenceRateError(f"[{i}].effective_from", "must be 1 January or 1 July")
            if i and rate.effective_from != next_half_year_start(self.rates[i - 1].effective_from):
                raise ReferenceRateError(
                    f"[{i}].effective_from", "must be the half-year right after the previous entry"
                )

    @property
    def first_day(self) -> date:
        return self.rates[0].effective_from

    @property
    def last_day(self) -> date:
        return date.fromordinal(next_half_year_start(self.rates[-1].effective_from).toordinal() - 1)

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def rate_on(self, day: date) -> Decimal:
        """The reference rate in percent for `day`; `ReferenceRateMissing` when not on file."""
        if not self.covers(day):
            raise ReferenceRateMissing(
                "reference_rates",
                f"no reference rate on file for the half-year starting {half_year_start(day).isoformat()}",
            )
        start = half_year_start(day)
        index = (start.year - self.first_day.year) * 2 + (start.month - self.first_day.month) // 6
        return self.rates[index].rate_percent


def parse_reference_rates(obj: Any) -> ReferenceRates:
    """Parse the data file's JSON: a list of {"effective_from": "YYYY-MM-DD", "rate_percent": "x.xx"}.

    Rates are strings so that no float ever stands between the Riksbank's figure and our arithmetic.
    The list may be in any order; it is sorted by date and must then be contiguous.
    """
    if not isinstance(obj, Sequence) or isinstance(obj, str | bytes):
        raise ReferenceRateError("rates", "must be a list")
    parsed: list[ReferenceRate] = []
    for i, raw in enumerate(obj):
        if not isinstance(raw, dict):
            raise ReferenceRateError(f"[{i}]", "must be an object")
        if set(raw) != {"effective_from", "rate_percent"}:
            raise ReferenceRateError(f"[{i}]", "must have exactly effective_from and rate_percent")
        effective_from = raw["effective_from"]
        rate_percent = raw["rate_percent"]
        if not isinstance(effective_from, str):
            raise ReferenceRateError(f"[{i}].effective_from", "must be a YYYY-MM-DD string")
        try:
            day = date.fromisoformat(effective_from)
        except ValueError:
            raise ReferenceRateError(f"[{i}].effective_from", "must be a YYYY-MM-DD date") from None
        if not isinstance(rate_percent, str) or not _RATE_PATTERN.match(rate_percent):
            raise ReferenceRateError(f"[{i}].rate_percent", 'must be a string like "4.00" (two decimals)')
        parsed.append(ReferenceRate(effective_from=day, rate_percent=Decimal(rate_percent)))
    dates = [r.effective_from for r in parsed]
    if len(set(dates)) != len(dates):
        raise ReferenceRateError("rates", "a half-year appears twice")
    return ReferenceRates(rates=tuple(sorted(parsed, key=lambda r: r.effective_from)))
