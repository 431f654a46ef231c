"""Validation of the Swedish numbers an Autogiro mandate or payment carries.

Bankgiro numbers, OCR references, bank accounts (by clearing-number range and check type, per
Bankgirot's "Bankernas kontonummeruppbyggnad"), personnummer/samordningsnummer and
organisationsnummer. Everything here is pure: bad input raises `ValidationError` naming the field
and the reason, good input comes back in the canonical form the Autogiro files carry.

personnummer and organisationsnummer are implemented here (Luhn plus the date and legal-form rules)
rather than through python-stdnum, so that the domain stays standard-library only; the unit tests
cross-check them against stdnum.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum

from billing.domain.errors import FieldError
from billing.domain.ocr import luhn_check_digit, luhn_is_valid


class ValidationError(FieldError):
    """A value was refused; `field` names what was wrong and `reason` says why, in English."""


# --- mod 11 (Luhn: billing.domain.ocr) ----------------------------------------------------------


def _mod11_is_valid(digits: str) -> bool:
    # Weights 1, 2, ..., 10 repeating from the right, as in "Bankernas kontonummeruppbyggnad".
    total = sum(int(char) * ((index % 10) + 1) for index, char in enumerate(reversed(digits)))
    return total % 11 == 0


def _only_digits(value: str, field: str, separators: str = " -") -> str:
    cleaned = value.strip()
    for separator in separators:
        cleaned = cleaned.replace(separator, "")
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise ValidationError(field, f"must be digits, got {value!r}")
    return cleaned


# --- Bankgiro and OCR ---------------------------------------------------------------------------


def validate_bankgiro(value: str, field: str = "bankgiro") -> str:
    """A bankgiro number as 7 or 8 digits without separator, e.g. "991-2346" -> "9912346".

    Leading zeros (as in the 10-digit file field) are accepted and dropped.
    """
    digits = _only_digits(value, field).lstrip("0")
    if len(digits) not in (7, 8):
        raise ValidationError(field, f"a bankgiro number has 7 or 8 digits, got {value!r}")
    if not luhn_is_valid(digits):
        raise ValidationError(field, f"check digit is wrong in bankgiro number {value!r}")
    return digits


def format_bankgiro(digits: str) -> str:
    """The printed form, "991-2346" or "5805-6201"."""
    return f"{digits[:-4]}-{digits[-4:]}"


def validate_ocr(value: str, field: str = "ocr", *, length_digit: bool = False) -> str:
    """An OCR reference: 2-25 digits with a Luhn check digit, optionally a length digit too."""
    digits = _only_digits(value, field, separators=" ")
    if not 2 <= len(digits) <= 25:
        raise ValidationError(field, f"an OCR reference has 2 to 25 digits, got {len(digits)}")
    if not luhn_is_valid(digits):
        raise ValidationError(field, f"check digit is wrong in OCR reference {value!r}")
    if length_digit and int(digits[-2]) != len(digits) % 10:
        raise ValidationError(field, f"length digit is wrong in OCR reference {value!r}")
    return digits


def make_ocr(base: str, *, length_digit: bool = True) -> str:
    """Build an OCR reference from `base` digits: base + length digit + Luhn check digit.

    The length digit counts the whole reference (itself and the check digit included) mod 10.
    """
    digits = _only_digits(base, "ocr base", separators=" ")
    if length_digit:
        digits += str((len(digits) + 2) % 10)
    result = digits + luhn_check_digit(digits)
    if len(result) > 25:
        raise ValidationError("ocr base", f"the reference would have {len(result)} digits, at most 25")
    return result


# --- Payer number -------------------------------------------------------------------------------


def validate_payer_number(value: str, field: str = "payer_number") -> str:
    """A payer number as stored: digits without leading zeros, at most 16 (the file field is N16)."""
    digits = _only_digits(value, field, separators="")
    stripped = digits.lstrip("0")
    if not stripped:
        raise ValidationError(field, "a payer number cannot be zero")
    if len(stripped) > 16:
        raise ValidationError(field, f"a payer number has at most 16 digits, got {len(stripped)}")
    return stripped


# --- Bank accounts ------------------------------------------------------------------------------


class AccountCheck(Enum):
    """How a bank's account numbers are checked (type and comment in Bankgirot's table)."""

    TYPE1_COMMENT1 = "type 1, mod 11 over the last 3 clearing digits and 7 account digits"
    TYPE1_COMMENT2 = "type 1, mod 11 over the 4 clearing digits and 7 account digits"
    TYPE2_COMMENT1 = "type 2, mod 10 over a 10-digit account"
    TYPE2_COMMENT2 = "type 2, mod 11 over a 9-digit account"
    TYPE2_COMMENT3 = "type 2, mod 10 over an account of up to 10 digits"


@dataclass(frozen=True)
class ClearingRange:
    first: int
    last: int
    bank: str
    check: AccountCheck


_T1C1 = AccountCheck.TYPE1_COMMENT1
_T1C2 = AccountCheck.TYPE1_COMMENT2
_T2C1 = AccountCheck.TYPE2_COMMENT1
_T2C2 = AccountCheck.TYPE2_COMMENT2
_T2C3 = AccountCheck.TYPE2_COMMENT3

# Bankgirot "Bankernas kontonummeruppbyggnad", as encoded in byrokrat/banking formats.json
# (2020-04-15) and PyPI bankkonto 1.0.1, which agree. Narrow ranges first: 3300 and 3782 (Nordea
# personkonto) sit inside Nordea's wider type-1 ranges' gaps.
CLEARING_RANGES: tuple[ClearingRange, ...] = (
    ClearingRange(3300, 3300, "Nordea (personkonto)", _T2C1),
    ClearingRange(3782, 3782, "Nordea (personkonto)", _T2C1),
    ClearingRange(1100, 1199, "Nordea", _T1C1),
    ClearingRange(1200, 1399, "Danske Bank", _T1C1),
    ClearingRange(1400, 2099, "Nordea", _T1C1),
    ClearingRange(2300, 2399, "Ålandsbanken", _T1C2),
    ClearingRange(2400, 2499, "Danske Bank", _T1C1),
    ClearingRange(3000, 3299, "Nordea", _T1C1),
    ClearingRange(3301, 3399, "Nordea", _T1C1),
    ClearingRange(3400, 3409, "Länsförsäkringar Bank", _T1C1),
    ClearingRange(3410, 3781, "Nordea", _T1C1),
    ClearingRange(3783, 3999, "Nordea", _T1C1),
    ClearingRange(4000, 4999, "Nordea", _T1C2),
    ClearingRange(5000, 5999, "SEB", _T1C1),
    ClearingRange(6000, 6999, "Handelsbanken", _T2C2),
    ClearingRange(7000, 7999, "Swedbank", _T1C1),
    ClearingRange(8000, 8999, "Swedbank", _T2C3),
    ClearingRange(9020, 9029, "Länsförsäkringar Bank", _T1C2),
    ClearingRange(9040, 9049, "Citibank", _T1C2),
    ClearingRange(9060, 9069, "Länsförsäkringar Bank", _T1C1),
    ClearingRange(9100, 9109, "Nordnet Bank", _T1C2),
    ClearingRange(9120, 9124, "SEB", _T1C1),
    ClearingRange(9130, 9149, "SEB", _T1C1),
    ClearingRange(9150, 9169, "Skandiabanken", _T1C2),
    ClearingRange(9170, 9179, "Ikano Bank", _T1C1),
    ClearingRange(9180, 9189, "Danske Bank", _T2C1),
    ClearingRange(9190, 9199, "DNB Bank", _T1C2),
    ClearingRange(9230, 9239, "Marginalen Bank", _T1C1),
    ClearingRange(9250, 9259, "SBAB", _T1C1),
    ClearingRange(9260, 9269, "DNB Bank", _T1C2),
    ClearingRange(9270, 9279, "ICA Banken", _T1C1),
    ClearingRange(9280, 9289, "Resurs Bank", _T1C1),
    ClearingRange(9300, 9349, "Swedbank (ex Sparbanken Öresund)", _T2C1),
    ClearingRange(9390, 9399, "Landshypotek", _T1C2),
    ClearingRange(9400, 9449, "Forex Bank", _T1C1),
    ClearingRange(9460, 9469, "Santander Consumer Bank", _T1C1),
    ClearingRange(9470, 9479, "BNP Paribas", _T1C2),
    ClearingRange(9500, 9549, "Nordea (Plusgirot)", _T2C3),
    ClearingRange(9550, 9569, "Avanza Bank", _T1C2),
    ClearingRange(9570, 9579, "Sparbanken Syd", _T2C1),
    ClearingRange(9590, 9599, "Erik Penser", _T1C2),
    ClearingRange(9630, 9639, "Lån & Spar Bank", _T1C1),
    ClearingRange(9640, 9649, "Nordax Bank", _T1C2),
    ClearingRange(9650, 9659, "MedMera Bank", _T1C2),
    ClearingRange(9660, 9669, "Svea Bank", _T1C2),
    ClearingRange(9670, 9679, "JAK Medlemsbank", _T1C2),
    ClearingRange(9680, 9689, "Bluestep Finans", _T1C1),
    ClearingRange(9700, 9709, "Ekobanken", _T1C2),
    ClearingRange(9780, 9789, "Klarna Bank", _T1C2),
    ClearingRange(9880, 9889, "Riksgälden", _T1C2),
    ClearingRange(9890, 9899, "Riksgälden", _T2C1),
    ClearingRange(9960, 9969, "Nordea (Plusgirot)", _T2C3),
)


def clearing_range(clearing: int) -> ClearingRange | None:
    for entry in CLEARING_RANGES:
        if entry.first <= clearing <= entry.last:
            return entry
    return None


@dataclass(frozen=True)
class BankAccount:
    """A Swedish bank account as Autogiro carries it: 4-digit clearing, account without zeros.

    `number` keeps its significant digits only; the file writes it right-aligned in 12 positions.
    """

    clearing: str
    number: str

    def to_field(self) -> str:
        """The 16-position Autogiro field: clearing (4) + account (12, zero-filled)."""
        return self.clearing + self.number.rjust(12, "0")

    @property
    def bank(self) -> str | None:
        entry = clearing_range(int(self.clearing))
        return entry.bank if entry else None


def validate_bank_account(clearing: str, number: str, field: str = "bank_account") -> BankAccount:
    """Check a clearing number and account number; return the canonical `BankAccount`.

    Swedbank's 5-digit clearing (8xxx-c) is accepted: c must be the Luhn digit of the four, and
    it is dropped because Autogiro carries only four clearing digits.
    """
    clearing_digits = _only_digits(clearing, f"{field}.clearing")
    account_digits = _only_digits(number, f"{field}.number")
    if len(clearing_digits) == 5:
        if not clearing_digits.startswith("8"):
            raise ValidationError(f"{field}.clearing", "only Swedbank (8xxx-x) has a 5-digit clearing number")
        if luhn_check_digit(clearing_digits[:4]) != clearing_digits[4]:
            raise ValidationError(
                f"{field}.clearing", f"check digit of clearing number {clearing!r} is wrong"
            )
        clearing_digits = clearing_digits[:4]
    if len(clearing_digits) != 4:
        raise ValidationError(f"{field}.clearing", f"a clearing number has 4 digits, got {clearing!r}")
    entry = clearing_range(int(clearing_digits))
    if entry is None:
        raise ValidationError(f"{field}.clearing", f"no bank uses clearing number {clearing_digits}")
    significant = account_digits.lstrip("0")
    if not significant:
        raise ValidationError(f"{field}.number", "the account number cannot be zero")
    check = entry.check
    if check in (_T1C1, _T1C2):
        if len(significant) > 7:
            raise ValidationError(f"{field}.number", f"{entry.bank} accounts have 7 digits, got {number!r}")
        padded = significant.rjust(7, "0")
        checked = (clearing_digits[1:] if check is _T1C1 else clearing_digits) + padded
        ok = _mod11_is_valid(checked)
    elif check is _T2C1:
        if len(significant) > 10:
            raise ValidationError(f"{field}.number", f"{entry.bank} accounts have 10 digits, got {number!r}")
        ok = luhn_is_valid(significant.rjust(10, "0"))
    elif check is _T2C2:
        if len(significant) > 9:
            raise ValidationError(f"{field}.number", f"{entry.bank} accounts have 9 digits, got {number!r}")
        ok = _mod11_is_valid(significant.rjust(9, "0"))
    else:
        if len(significant) > 10:
            raise ValidationError(f"{field}.number", f"{entry.bank} accounts have up to 10 digits")
        ok = luhn_is_valid(significant)
    if not ok:
        raise ValidationError(
            f"{field}.number", f"check digit is wrong for {entry.bank} account {clearing_digits}-{number}"
        )
    return BankAccount(clearing=clearing_digits, number=significant)


# --- Personnummer and organisationsnummer -------------------------------------------------------

_PERSONNUMMER = re.compile(r"([0-9]{2})?([0-9]{2})([0-9]{2})([0-9]{2})([-+]?)([0-9]{3})([0-9])")


def validate_personnummer(value: str, field: str = "personnummer", *, today: date | None = None) -> str:
    """A personnummer or samordningsnummer in the 12-digit Autogiro form, YYYYMMDDNNNC.

    Accepts YYMMDD-NNNC, YYMMDD+NNNC (100 years or older), YYYYMMDDNNNC and YYYYMMDD-NNNC. A
    10-digit form needs `today` to pick the century, since the domain has no clock.
    """
    match = _PERSONNUMMER.fullmatch(value.strip().replace(" ", ""))
    if match is None:
        raise ValidationError(field, f"expected YYMMDD-NNNC or YYYYMMDDNNNC, got {value!r}")
    century, yy, mm, dd, separator, serial, check = match.groups()
    if century is None:
        if today is None:
            raise ValidationError(field, "a 10-digit personnummer needs today's date to find the century")
        year = 2000 + int(yy)
        while year > today.year:
            year -= 100
        if separator == "+":
            year -= 100
    else:
        year = int(century + yy)
    day = int(dd)
    if day > 60:
        day -= 60  # samordningsnummer: day + 60
    try:
        date(year, int(mm), day)
    except ValueError:
        raise ValidationError(field, f"{value!r} does not start with a real date") from None
    ten = yy + mm + dd + serial + check
    if not luhn_is_valid(ten):
        raise ValidationError(field, f"check digit is wrong in personnummer {value!r}")
    return f"{year:04d}{mm}{dd}{serial}{check}"


def validate_organisationsnummer(value: str, field: str = "organisationsnummer") -> str:
    """An organisationsnummer as 10 digits: Luhn, and the third digit at least 2 (legal entities)."""
    digits = _only_digits(value, field)
    if len(digits) == 12 and digits.startswith(("16", "00")):
        digits = digits[2:]
    if len(digits) != 10:
        raise ValidationError(field, f"an organisationsnummer has 10 digits, got {value!r}")
    if int(digits[2]) < 2:
        raise ValidationError(field, "the third digit of an organisationsnummer is at least 2")
    if not luhn_is_valid(digits):
        raise ValidationError(field, f"check digit is wrong in organisationsnummer {value!r}")
    return digits


def autogiro_identity(value: str, field: str = "identity", *, today: date | None = None) -> str:
    """The 12-position Autogiro id field for a personnummer or an organisationsnummer.

    personnummer -> YYYYMMDDNNNC; organisationsnummer -> 00NNNNNNNNNN. An organisationsnummer
    is recognised by its third digit (>= 2, impossible as the first month digit of a date).
    """
    digits = value.strip().replace(" ", "").replace("-", "").replace("+", "")
    if len(digits) == 10 and digits.isascii() and digits.isdigit() and int(digits[2]) >= 2:
        return "00" + validate_organisationsnummer(value, field)
    if (
        len(digits) == 12
        and digits.startswith(("00", "16"))
        and digits.isascii()
        and digits.isdigit()
        and int(digits[4]) >= 2
    ):
        return "00" + validate_organisationsnummer(digits[2:], field)
    return validate_personnummer(value, field, today=today)
