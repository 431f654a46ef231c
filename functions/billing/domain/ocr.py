"""OCR payment references for Bankgirot: digits, an optional length digit, a Luhn (mod 10) check digit.

Bankgirot's rules: 2 to 25 digits. The last digit is the mod 10 check digit over everything before it
(weights 2,1,2,1... from the right). With "hard" or "soft" length control in the payee's agreement, the
second-to-last digit is the total length of the reference (check and length digits included) mod 10.
"""

from __future__ import annotations

MIN_LENGTH = 2
MAX_LENGTH = 25


class OcrError(ValueError):
    """A payment reference that cannot be made from the given digits."""


def luhn_check_digit(digits: str) -> str:
    """The mod 10 check digit that makes `digits` + check digit pass the Luhn test."""
    if not digits.isdigit():
        raise OcrError(f"OCR digits must be 0-9, got {digits!r}")
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def luhn_is_valid(digits: str) -> bool:
    """Whether `digits` (ASCII 0-9) end in the Luhn check digit of what comes before them."""
    if not (digits.isascii() and digits.isdigit()):
        return False
    body, check = digits[:-1], digits[-1]
    return check == (luhn_check_digit(body) if body else "0")


def ocr_reference(number_digits: str, with_length_digit: bool) -> str:
    """An OCR reference for `number_digits` (e.g. the invoice number's digits).

    >>> ocr_reference("12345", False)
    '123455'
    >>> ocr_reference("12345", True)
    '1234574'
    """
    if not number_digits.isdigit():
        raise OcrError(f"OCR digits must be 0-9, got {number_digits!r}")
    body = number_digits
    if with_length_digit:
        body += str((len(body) + 2) % 10)
    reference = body + luhn_check_digit(body)
    if not MIN_LENGTH <= len(reference) <= MAX_LENGTH:
        raise OcrError(f"an OCR reference has {MIN_LENGTH}-{MAX_LENGTH} digits, this one {len(reference)}")
    return reference


def is_valid_ocr(reference: str, with_length_digit: bool = False) -> bool:
    """True when `reference` has a valid check digit (and length digit, if asked)."""
    if not reference.isdigit() or not MIN_LENGTH <= len(reference) <= MAX_LENGTH:
        return False
    if luhn_check_digit(reference[:-1]) != reference[-1]:
        return False
    return not with_length_digit or (len(reference) >= 3 and int(reference[-2]) == len(reference) % 10)
