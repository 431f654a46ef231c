"""What requests and reports share: a payment's direction, its period code, and how references compare."""

from __future__ import annotations

from enum import Enum

# BankAccount lives with its validation; records re-export it for callers that build requests.


class Direction(Enum):
    """A payment's direction, by its transaction code."""

    INCOMING = "82"  # debit the payer (inbetalning)
    OUTGOING = "32"  # pay out to the payer (utbetalning), e.g. a refund


class PeriodCode(Enum):
    """How often a payment order repeats (manual §7.3)."""

    ONCE = 0
    MONTHLY_ON_DATE = 1
    QUARTERLY_ON_DATE = 2
    HALF_YEARLY_ON_DATE = 3
    YEARLY_ON_DATE = 4
    MONTHLY_LAST_DAY = 5
    QUARTERLY_LAST_DAY = 6
    HALF_YEARLY_LAST_DAY = 7
    YEARLY_LAST_DAY = 8


def same_reference(left: str | None, right: str | None) -> bool:
    """True when two payment references are the same once the re-padding is undone.

    Bankgirot returns `RIDLEKTION` as `000000RIDLEKTION` in the payment specification and
    `FAKTNR165` as `FAKTNR1650000000` in the amendment report (FORMAT.md §1.6.3), so zeros and blanks
    at either end are not significant.
    """
    return _reference_key(left) == _reference_key(right)


def _reference_key(reference: str | None) -> str:
    return (reference or "").strip(" 0")
