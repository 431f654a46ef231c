"""What requests and reports share: a payment's direction, its period code, how references compare,
`Field`, the entry of a record layout's field table, and `SectionedFile`, a report of sections."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import ClassVar, Generic, TypeVar

Section = TypeVar("Section")
Record = TypeVar("Record")


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


@dataclass(frozen=True)
class Field:
    """One field of a record layout: the record attribute it holds, its 1-based first position, its
    width and its kind, which says how it is read and written ("payer", "bankgiro", "date", "number",
    "optional" number, "amount", "signed", "direction", "text", "account", "identity"). `label` names
    it in errors when the attribute name does not."""

    name: str
    start: int
    width: int
    kind: str
    label: str = ""

    @property
    def end(self) -> int:
        return self.start + self.width - 1

    @property
    def title(self) -> str:
        """How errors name the field: the label, or the attribute name in words without its unit."""
        return self.label or self.name.removesuffix("_ore").replace("_", " ")


# A mandate's fields after the transaction code, the same in our TK03-TK05 requests, Bankgirot's TK73
# notices and TK52 internet-bank mandates (manual §7, §8.3, §8.6).
MANDATE_FIELDS = (
    Field("payee_bankgiro", 3, 10, "bankgiro"),
    Field("payer_number", 13, 16, "payer"),
    Field("account", 29, 16, "account"),
    Field("identity", 45, 12, "identity"),
)

# The fields a TK82/TK32 payment order shares with the report records that answer it (TK82, TK32 and
# TK77 of the payment specification, TK82 and TK32 of the monitoring register), after the period code.
PAYMENT_FIELDS = (
    Field("repetitions", 12, 3, "optional"),
    Field("payer_number", 16, 16, "payer"),
    Field("amount_ore", 32, 12, "amount"),
    Field("reference", 54, 16, "text"),
)


@dataclass(frozen=True)
class SectionedFile(Generic[Section]):
    """A Bankgirot report of one or more sections, each its opening record, its records and (in most
    kinds) its closing record. `kind` names the report's type, as the parser's dispatch answers it."""

    kind: ClassVar[str]
    sections: tuple[Section, ...]

    def each(self, records: Callable[[Section], Iterable[Record]]) -> tuple[Record, ...]:
        """The records `records` picks from every section, in file order."""
        return tuple(record for section in self.sections for record in records(section))
