"""Bankgiro, OCR, bank accounts, personnummer and organisationsnummer: good input in its canonical
form, bad input refused with the field and the reason. personnummer/orgnr are cross-checked
against python-stdnum (the domain implements them itself to stay standard-library only)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.se import orgnr as stdnum_orgnr
from stdnum.se import personnummer as stdnum_personnummer

from billing.domain.autogiro.validation import (
    BankAccount,
    ValidationError,
    autogiro_identity,
    format_bankgiro,
    luhn_check_digit,
    luhn_is_valid,
    make_ocr,
    validate_bank_account,
    validate_bankgiro,
    validate_ocr,
    validate_organisationsnummer,
    validate_payer_number,
    validate_personnummer,
)


@settings(max_examples=300)
@given(st.text("0123456789", min_size=1, max_size=30))
def test_luhn_agrees_with_stdnum(digits: str) -> None:
    # Given any digit string; Then our Luhn check and check digit agree with stdnum's
    assert luhn_is_valid(digits) == luhn.is_valid(digits)
    assert luhn_check_digit(digits) == luhn.calc_check_digit(digits)


@pytest.mark.parametrize(
    ("given_", "canonical"),
    [
        ("991-2346", "9912346"),
        ("5805-6201", "58056201"),
        ("0009912346", "9912346"),
        ("1111-1119", "11111119"),
    ],
)
def test_valid_bankgiro_numbers(given_: str, canonical: str) -> None:
    assert validate_bankgiro(given_) == canonical
    assert format_bankgiro(canonical) in (given_, "991-2346")


@pytest.mark.parametrize("bad", ["990-2346", "12-3456", "123456789", "99I-2346", ""])
def test_invalid_bankgiro_numbers_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_bankgiro(bad, "payee_bankgiro")
    assert caught.value.field == "payee_bankgiro"


@pytest.mark.parametrize(
    ("base", "check_only", "with_length"),
    [("12345", "123455", "1234574"), ("123", "1230", "12351"), ("2019121", None, "201912193")],
)
def test_ocr_examples_from_the_format_notes(base: str, check_only: str | None, with_length: str) -> None:
    # Given the worked examples of FORMAT.md §3.2; Then we build and accept the same references
    if check_only is not None:
        assert make_ocr(base, length_digit=False) == check_only
        assert validate_ocr(check_only) == check_only
    assert make_ocr(base) == with_length
    assert validate_ocr(with_length, length_digit=True) == with_length


@pytest.mark.parametrize(
    ("bad", "length_digit"), [("123456", False), ("1234564", True), ("1", False), ("12a4", False)]
)
def test_bad_ocr_references_are_refused(bad: str, length_digit: bool) -> None:
    with pytest.raises(ValidationError):
        validate_ocr(bad, length_digit=length_digit)


@pytest.mark.parametrize(
    ("clearing", "number", "expected"),
    [
        ("5000", "111111-6", BankAccount("5000", "1111116")),  # SEB, type 1 comment 1
        ("6000", "30128669-8", BankAccount("6000", "301286698")),  # Handelsbanken, type 2 comment 2
        ("8105-9", "744202466", BankAccount("8105", "744202466")),  # Swedbank with 5-digit clearing
        ("8105", "744202466", BankAccount("8105", "744202466")),  # Swedbank, 4 digits as Autogiro carries
        ("3300", "1212121212", BankAccount("3300", "1212121212")),  # Nordea personkonto
        ("5001", "000001000023", BankAccount("5001", "1000023")),  # zero-filled as in the files
    ],
)
def test_valid_bank_accounts(clearing: str, number: str, expected: BankAccount) -> None:
    assert validate_bank_account(clearing, number) == expected


@pytest.mark.parametrize(
    ("clearing", "number", "field", "reason_part"),
    [
        ("5000", "1111117", "bank_account.number", "check digit"),
        ("5001", "000001000020", "bank_account.number", "check digit"),  # Bankgirot's fictitious example
        ("6000", "301286699", "bank_account.number", "check digit"),
        ("8105-8", "744202466", "bank_account.clearing", "check digit"),
        ("9999", "1234567", "bank_account.clearing", "no bank"),
        ("5000", "11111116", "bank_account.number", "7 digits"),
        ("50", "1111116", "bank_account.clearing", "4 digits"),
        ("3300", "0", "bank_account.number", "zero"),
    ],
)
def test_bad_bank_accounts_are_refused_with_the_reason(
    clearing: str, number: str, field: str, reason_part: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_bank_account(clearing, number)
    assert caught.value.field == field
    assert reason_part in caught.value.reason


def test_payer_numbers_are_stored_without_leading_zeros() -> None:
    assert validate_payer_number("0000000000001234") == "1234"
    for bad in ("0", "12345678901234567", "12a"):
        with pytest.raises(ValidationError):
            validate_payer_number(bad)


TODAY = date(2026, 1, 15)


@pytest.mark.parametrize(
    ("given_", "expected"),
    [
        ("820323-2775", "198203232775"),
        ("198203232775", "198203232775"),
        ("121212-1212", "201212121212"),
        ("121212+1212", "191212121212"),
        ("701063-2391", "197010632391"),  # samordningsnummer (day + 60), stdnum refuses these
    ],
)
def test_personnummer_in_autogiro_form(given_: str, expected: str) -> None:
    assert validate_personnummer(given_, today=TODAY) == expected


@pytest.mark.parametrize("bad", ["820323-2776", "821323-2775", "19820230-1234", "8203232775x"])
def test_bad_personnummer_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        validate_personnummer(bad, today=TODAY)


def test_ten_digit_personnummer_needs_today() -> None:
    with pytest.raises(ValidationError, match="century"):
        validate_personnummer("820323-2775")


@settings(max_examples=300)
@given(born=st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)), serial=st.integers(0, 999))
def test_personnummer_agrees_with_stdnum(born: date, serial: int) -> None:
    # Given a personnummer with a correct check digit, and the same one with a wrong digit
    nine = born.strftime("%y%m%d") + f"{serial:03d}"
    good = born.strftime("%Y%m%d") + f"{serial:03d}" + luhn.calc_check_digit(nine)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    # Then we and stdnum accept the good one and refuse the bad one
    assert stdnum_personnummer.is_valid(good)
    assert validate_personnummer(good) == good
    assert not stdnum_personnummer.is_valid(bad)
    with pytest.raises(ValidationError):
        validate_personnummer(bad)


@settings(max_examples=300)
@given(st.text("0123456789", min_size=9, max_size=9))
def test_organisationsnummer_agrees_with_stdnum_on_luhn(nine: str) -> None:
    # Given nine digits completed with their Luhn digit
    number = nine + luhn.calc_check_digit(nine)
    # Then stdnum accepts it, and we do too exactly when the third digit marks a legal entity
    assert stdnum_orgnr.is_valid(number)
    if int(number[2]) >= 2:
        assert validate_organisationsnummer(number) == number
        assert autogiro_identity(number) == "00" + number
    else:
        with pytest.raises(ValidationError, match="third digit"):
            validate_organisationsnummer(number)


def test_organisationsnummer_forms() -> None:
    assert validate_organisationsnummer("556036-0793") == "5560360793"
    assert autogiro_identity("556036-0793") == "005560360793"
    assert autogiro_identity("16556036-0793") == "005560360793"
    assert autogiro_identity("19820323-2775") == "198203232775"
    with pytest.raises(ValidationError, match="check digit"):
        validate_organisationsnummer("5556000521")  # Bankgirot's fictitious example
