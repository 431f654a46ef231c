"""Credit notes: the whole invoice or parts of some lines, never more than what is left to credit.

What is left is the invoice minus every earlier credit note of it, per line, per VAT rate and in total,
so a series of partial credit notes can never credit more VAT or more money than the invoice carried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal, localcontext

from billing.domain.invoice import CREDIT_NOTE, Invoice, InvoiceLine, VatSummary, invoice_id
from billing.domain.money import calculation_context, exponent, is_cash_rounded, round_minor, round_to_major
from billing.domain.pricing_errors import CreditError
from billing.domain.vat import vat_amount

_CREDIT_WORD = {"sv": "Kredit", "en": "Credit"}


def remaining_by_line(invoice: Invoice, previous: Sequence[Invoice]) -> dict[str, int]:
    """Per line of `invoice`, the amount (excl. VAT) not yet credited by `previous` credit notes."""
    left = {x.line_id: x.amount for x in invoice.lines}
    for note in _notes_of(invoice, previous):
        for x in note.lines:
            if x.credited_line_id in left:
                left[x.credited_line_id] += x.amount  # credit amounts are negative
    return left


def credit_note(
    invoice: Invoice,
    *,
    issue_date: date,
    amounts: Mapping[str, int] | None = None,
    previous: Sequence[Invoice] = (),
    reason: str = "",
) -> Invoice:
    """A credit note for `invoice`: everything still left (amounts None) or `amounts` per line id.

    Amounts are positive minor units excl. VAT to credit from each line; the note's amounts are negative.
    """
    if invoice.kind == CREDIT_NOTE:
        raise CreditError("invoice", "a credit note cannot be credited; issue an invoice instead")
    notes = _notes_of(invoice, previous)
    left = remaining_by_line(invoice, notes)
    word = _CREDIT_WORD.get(invoice.language, "Credit")
    drafts: list[tuple[InvoiceLine, int]] = []
    if amounts is None:
        drafts = [(x, left[x.line_id]) for x in invoice.lines if left[x.line_id] != 0]
        if not drafts:
            raise CreditError("amounts", "nothing is left to credit on this invoice")
    else:
        if not amounts:
            raise CreditError("amounts", "name at least one line to credit")
        for line_id in sorted(amounts, key=_line_order):
            amount = amounts[line_id]
            line = invoice.line(line_id)
            field = f"amounts.{line_id}"
            if line is None:
                raise CreditError(field, "no such line on the invoice")
            if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
                raise CreditError(field, "must be a positive integer (minor units excl. VAT)")
            if line.amount <= 0:
                raise CreditError(field, "only lines with a positive amount can be credited one by one")
            if amount > left[line_id]:
                raise CreditError(field, f"only {left[line_id]} is left to credit on this line")
            drafts.append((line, amount))
    lines = tuple(
        InvoiceLine(
            line_id=str(i),
            kind="credit",
            description=f"{word}: {line.description}",
            quantity=_negate(line.quantity) if amount == line.amount else "-1",
            unit=line.unit if amount == line.amount else "",
            unit_price=line.unit_price if amount == line.amount else str(amount),
            amount=-amount,
            vat_rate=line.vat_rate,
            charge_code=line.charge_code,
            group=line.group,
            proration=line.proration,
            period=line.period,
            credited_line_id=line.line_id,
        )
        for i, (line, amount) in enumerate(drafts, start=1)
    )
    vat = _credited_vat(invoice, notes, lines, left)
    subtotal = sum(x.amount for x in lines)
    vat_total = sum(v.vat for v in vat)
    gross = subtotal + vat_total
    total_left = invoice.total + sum(n.total for n in notes)
    credited = {line.line_id: amount for line, amount in drafts}
    takes_everything = all(left[x.line_id] == credited.get(x.line_id, 0) for x in invoice.lines)
    if takes_everything:
        total = -total_left  # the last credit note takes exactly what is left, rounding included
    elif is_cash_rounded(invoice.currency):
        total = round_to_major(gross, invoice.currency)
        if -total > total_left:
            total += 10 ** exponent(invoice.currency)  # towards zero: never credit more than is left
    else:
        total = gross
    if -total > total_left:
        raise CreditError("amounts", f"only {total_left} is left to credit on this invoice")
    number = len(notes) + 1
    return replace(
        invoice,
        invoice_id=invoice_id(
            invoice.tenant_id, invoice.customer_id, invoice.invoice_id, f"credit_note:{number}"
        ),
        kind=CREDIT_NOTE,
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=invoice.payment_terms_days),
        lines=lines,
        vat=vat,
        subtotal=subtotal,
        vat_total=vat_total,
        rounding=total - gross,
        total=total,
        balance_applied=0,
        amount_due=total,
        credited_invoice_id=invoice.invoice_id,
        credited_invoice_number=invoice.number,
        number=None,
        ocr=None,
        notes=(*invoice.notes, reason) if reason else invoice.notes,
        extra={"credit_note_sequence": number},
    )


def amount_for_quantity(line: InvoiceLine, quantity: Decimal, field: str) -> int:
    """What crediting `quantity` of `line`'s units takes from it (minor units excl. VAT): the whole
    line's amount for its whole quantity (rounding included), else quantity x unit price rounded once
    like the line was. Refuses a quantity the line does not have."""
    billed = Decimal(line.quantity)
    if not quantity.is_finite() or quantity <= 0:
        raise CreditError(field, "must be more than zero")
    if billed <= 0 or line.amount <= 0:
        raise CreditError(field, "only lines with a positive quantity and amount can be credited by quantity")
    if quantity > billed:
        raise CreditError(field, f"the line has {line.quantity} {line.unit}".rstrip())
    if quantity == billed:
        return line.amount
    with localcontext(calculation_context()):
        return round_minor(quantity * Decimal(line.unit_price))


def format_credit_note_number(series_prefix: str, n: int) -> str:
    """The printed number of the n-th credit note of a series: its own sequence beside the invoices',
    ('NM-', 3) -> 'NM-K000003', so an invoice and a credit note never share a number."""
    if n < 1:
        raise ValueError("credit note numbers start at 1")
    return f"{series_prefix}K{n:06d}"


def _notes_of(invoice: Invoice, previous: Sequence[Invoice]) -> list[Invoice]:
    return [n for n in previous if n.kind == CREDIT_NOTE and n.credited_invoice_id == invoice.invoice_id]


def _credited_vat(
    invoice: Invoice, notes: Sequence[Invoice], lines: Sequence[InvoiceLine], left: Mapping[str, int]
) -> tuple[VatSummary, ...]:
    """VAT per rate of the credit: rounded like an invoice, capped at the VAT left at that rate, and
    exactly the VAT left when the credit takes everything left at that rate."""
    base_left: dict[str, int] = {}
    vat_left: dict[str, int] = {v.rate: v.vat for v in invoice.vat}
    for x in invoice.lines:
        base_left[x.vat_rate] = base_left.get(x.vat_rate, 0) + left[x.line_id]
    for note in notes:
        for v in note.vat:
            vat_left[v.rate] = vat_left.get(v.rate, 0) + v.vat
    bases: dict[str, int] = {}
    for x in lines:
        bases[x.vat_rate] = bases.get(x.vat_rate, 0) + x.amount
    result = []
    for rate in sorted(bases, key=lambda r: Decimal(r), reverse=True):
        base = bases[rate]
        remaining = vat_left.get(rate, 0)
        if -base == base_left.get(rate, 0):
            vat = -remaining
        else:
            vat = vat_amount(base, Decimal(rate))
            if remaining >= 0:
                vat = max(vat, -remaining)
        result.append(VatSummary(rate=rate, base=base, vat=vat))
    return tuple(result)


def _negate(quantity: str) -> str:
    if quantity.startswith("-"):
        return quantity[1:]
    return quantity if quantity == "0" else f"-{quantity}"


def _line_order(line_id: str) -> tuple[int, str]:
    return (int(line_id), line_id) if line_id.isdigit() else (10**9, line_id)
