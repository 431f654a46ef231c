"""Invoice identity: deterministic ids, printed numbers, Bankgirot OCR references."""

from __future__ import annotations

from datetime import date

import pytest

from billing.domain.invoice import format_invoice_number, invoice_id
from billing.domain.ocr import OcrError, is_valid_ocr, luhn_check_digit, ocr_reference


def test_invoice_id_is_stable_across_releases() -> None:
    # The id is a DynamoDB key: changing how it is made would duplicate invoices on the next retry.
    assert invoice_id("t1", "c1", date(2026, 3, 1), "period") == "inv_6byhge3bbeu6ngwvrpd6fr4cpr"
    assert invoice_id("t1", "c1", "2026-03-01", "period") == invoice_id(
        "t1", "c1", date(2026, 3, 1), "period"
    )


@pytest.mark.parametrize(
    "other",
    [
        ("t2", "c1", "2026-03-01", "period"),
        ("t1", "c2", "2026-03-01", "period"),
        ("t1", "c1", "2026-04-01", "period"),
        ("t1", "c1", "2026-03-01", "one_off"),
    ],
)
def test_invoice_id_differs_when_any_part_differs(other: tuple[str, str, str, str]) -> None:
    assert invoice_id(*other) != invoice_id("t1", "c1", "2026-03-01", "period")


def test_invoice_id_parts_cannot_run_into_each_other() -> None:
    # "t1" + "c1x" must not collide with "t1c" + "1x": the parts are separated
    assert invoice_id("t1", "c1x", "2026-03-01", "period") != invoice_id("t1c", "1x", "2026-03-01", "period")


def test_format_invoice_number() -> None:
    assert format_invoice_number("2026-", 42) == "2026-000042"
    assert format_invoice_number("", 1234567) == "1234567"
    with pytest.raises(ValueError):
        format_invoice_number("F", 0)


def test_luhn_matches_the_classic_example() -> None:
    # 7992739871 -> check digit 3 (the textbook Luhn example)
    assert luhn_check_digit("7992739871") == "3"
    assert is_valid_ocr("79927398713")
    assert not is_valid_ocr("79927398710")


@pytest.mark.parametrize(
    ("digits", "length", "expected"),
    [
        ("12345", False, "123455"),
        ("12345", True, "1234574"),  # 7 digits in all: length digit 7, then the check digit
        ("42", True, "4242"),
        ("123456789012", True, "12345678901245"),  # 14 digits: length digit 4, check digit 5
    ],
)
def test_ocr_reference(digits: str, length: bool, expected: str) -> None:
    assert ocr_reference(digits, length) == expected
    assert is_valid_ocr(expected, with_length_digit=length)


def test_ocr_reference_refuses_what_bankgirot_refuses() -> None:
    with pytest.raises(OcrError):
        ocr_reference("12a", False)
    with pytest.raises(OcrError):
        ocr_reference("1" * 25, False)  # 26 digits with the check digit: over the limit of 25
    # 1234566 passes the Luhn test, but its length digit says 6 and it has 7 digits
    assert is_valid_ocr("1234566", with_length_digit=False)
    assert not is_valid_ocr("1234566", with_length_digit=True)
