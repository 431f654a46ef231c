"""Invoice number series: which series numbers a customer's invoices, and a series' printed number and
OCR reference.

A tenant numbers through one series by default (`invoice_series_count` 1: the prefix as set, OCR the
sequence's digits, exactly as before series existed). With more, each customer belongs to one series
for good (a stable hash of the customer id), each series has its own counter and a distinct prefix
(`<prefix><k>-`, k = 1..count), so the tenant's workers number in parallel while every series stays
unique and gapless on its own (Swedish rules ask for a unique, continuous sequence per series; the
audit accounts for each series by its counter). OCR references stay unique across the tenant's
series: series k's are the digit k followed by the number's six or more digits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from billing.domain.invoice import Invoice, format_invoice_number
from billing.domain.ocr import ocr_reference
from billing.domain.parties import TenantSettings

# At most 8 series: an OCR's leading series digit is never 9, which starts the relief plans' OCRs.
MAX_SERIES = 8


@dataclass(frozen=True)
class InvoiceSeries:
    prefix: str  # printed before the number, and the name of the series' counter
    ocr_lead: str = ""  # the series' digit before the number in OCR references ("": the one series)

    def numbered(self, invoice: Invoice, sequence: int, length_digit: bool) -> Invoice:
        """`invoice` as the `sequence`-th of this series: its printed number and its OCR reference."""
        digits = f"{self.ocr_lead}{sequence:06d}" if self.ocr_lead else str(sequence)
        return invoice.with_number(
            format_invoice_number(self.prefix, sequence), ocr_reference(digits, length_digit)
        )


def invoice_series(prefix: str, count: int, customer_id: str) -> InvoiceSeries:
    """The series of `customer_id`'s invoices among a tenant's `count` series named from `prefix`."""
    if not 1 <= count <= MAX_SERIES:
        raise ValueError(f"invoice_series_count must be 1 to {MAX_SERIES}, not {count}")
    if count == 1:
        return InvoiceSeries(prefix)
    k = 1 + int(hashlib.sha256(customer_id.encode()).hexdigest()[:8], 16) % count
    return InvoiceSeries(f"{prefix}{k}-", str(k))


def customer_series(settings: TenantSettings, customer_id: str) -> InvoiceSeries:
    """The series the tenant numbers this customer's invoices in."""
    return invoice_series(settings.invoice_series_prefix, settings.invoice_series_count, customer_id)
