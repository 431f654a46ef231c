"""What one BgMax payment claims to pay, before any invoice is looked up (FORMAT.md §6).

`claims_of(payment)` turns a TK20 or TK21 with its extra references into claims: an amount and the
references it names. A payment with one reference is one claim; a payment with several references
and one amount (TK22 with amount 0, or a free-text field "65896,65862") is one claim over all of
them, shared by `allocate`; extended form registration (TK22/TK23 with amounts) gives one claim per
reference with its own amount; a deduction (TK21) and a TK23 are credits, to be matched to a credit
note. A claim without a usable reference carries the reason, for the unmatched list.

`check_reference` applies our own OCR rules (digits, Luhn check digit, the length digit when the
tenant's agreement has one) whatever code Bankgirot gave: Bankgirot's code 2 is checked under the
payee's agreement, which may be weaker than ours (FORMAT.md §3.1).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from billing.domain.bgmax.records import Payment
from billing.domain.ocr import MAX_LENGTH, MIN_LENGTH, luhn_check_digit

# Reference codes whose references are worth looking up: checked OCR (2), free text that may hold one
# or more references (3), a correct reference without OCR control (4).
USABLE_CODES = frozenset({"2", "3", "4"})
_NO_REFERENCE = {
    "0": "no reference given",
    "1": "no reference: no agreement for form registration",
    "5": "wrong reference (Bankgirot's control refused it)",
}
# Subsets tried for an exact match of a shared amount: 2**12 sums at most.
EXACT_MATCH_LIMIT = 12


@dataclass(frozen=True)
class Claim:
    """An amount (öre, positive) and the references it names; `credit` for a deduction or a TK23."""

    amount: int
    references: tuple[str, ...]
    credit: bool = False
    reason: str | None = None  # why no reference is usable (then `references` is empty)
    source_line: int = 0


def candidates(text: str) -> list[str]:
    """The references in a free-text field: split on blanks and commas, digits only, leading zeros
    dropped (our OCR numbers never start with one), each once, in order."""
    found: list[str] = []
    for token in re.split(r"[\s,;]+", text):
        digits = token.strip(".-").lstrip("0")
        if digits.isdigit() and digits not in found:
            found.append(digits)
    return found


def check_reference(reference: str, *, length_digit: bool) -> str | None:
    """None when `reference` is a valid OCR number under our rules, else what is wrong with it."""
    if not (reference.isascii() and reference.isdigit()):
        return "not an OCR number (digits only)"
    if not MIN_LENGTH <= len(reference) <= MAX_LENGTH:
        return f"an OCR number has {MIN_LENGTH}-{MAX_LENGTH} digits"
    if luhn_check_digit(reference[:-1]) != reference[-1]:
        return "wrong check digit"
    if length_digit and (len(reference) < 3 or int(reference[-2]) != len(reference) % 10):
        return "wrong length digit"
    return None


def _references(text: str, code: str) -> tuple[str, ...]:
    if code not in USABLE_CODES:
        return ()
    return tuple(candidates(text))


def claims_of(payment: Payment) -> list[Claim]:
    """The claims of one TK20/TK21 with its TK22/TK23 records."""
    line = payment.line_no
    extras = payment.extra_references
    if payment.deduction:
        refs = _references(payment.reference, payment.reference_code)
        refs += tuple(r for x in extras for r in _references(x.reference, x.reference_code) if r not in refs)
        reason = None if refs else _NO_REFERENCE.get(payment.reference_code, "no usable reference")
        return [Claim(payment.amount, refs, credit=True, reason=reason, source_line=line)]
    if any(x.amount for x in extras):
        # Extended form registration: each reference has its own amount (TK23: a credit).
        claims = []
        for x in extras:
            if not x.amount:
                continue
            refs = _references(x.reference, x.reference_code)
            reason = None if refs else _NO_REFERENCE.get(x.reference_code, "no usable reference")
            claims.append(Claim(x.amount, refs, credit=x.credit, reason=reason, source_line=x.line_no))
        rest = payment.amount - sum(x.signed_amount for x in extras)
        if rest < 0:
            # The references ask for more than was paid: no split can be trusted, a person decides.
            reason = "the extra references add up to more than the payment"
            return [Claim(payment.amount, (), reason=reason, source_line=line)]
        if rest:
            reason = "part of the payment is not named by any extra reference"
            claims.append(Claim(rest, (), reason=reason, source_line=line))
        return claims
    refs = tuple(r for x in extras for r in _references(x.reference, x.reference_code))
    if not refs:
        refs = _references(payment.reference, payment.reference_code)
    refs = tuple(dict.fromkeys(refs))
    reason = None if refs else _NO_REFERENCE.get(payment.reference_code, "no usable reference")
    return [Claim(payment.amount, refs, reason=reason, source_line=line)]


def allocate(amount: int, open_amounts: Sequence[tuple[str, int]]) -> tuple[list[tuple[str, int]], int]:
    """Share `amount` over invoices named by one payment, given oldest first as (id, amount still due).

    The invoices whose open amounts add up exactly to the amount are paid in full (the payer meant
    those); otherwise the oldest is paid first. Returns the shares (id, amount), never a zero share,
    and what is left over once every named invoice is paid (an overpayment)."""
    if amount <= 0:
        return [], 0
    due = [(key, max(0, owed)) for key, owed in open_amounts]
    if len(due) <= EXACT_MATCH_LIMIT:
        for size in range(1, len(due) + 1):
            for subset in itertools.combinations(due, size):
                if sum(owed for _, owed in subset) == amount and all(owed > 0 for _, owed in subset):
                    return list(subset), 0
    shares: list[tuple[str, int]] = []
    left = amount
    for key, owed in due:
        take = min(owed, left)
        if take:
            shares.append((key, take))
            left -= take
    return shares, left
