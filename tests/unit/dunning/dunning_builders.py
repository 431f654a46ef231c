"""Builders for dunning test data: sensible defaults, override only what a test is about."""

from __future__ import annotations

from datetime import date
from typing import Any

from billing.domain.dunning import (
    CustomerHistory,
    InvoiceDunningState,
    InvoiceStatus,
    ReferenceRates,
    ReminderPolicy,
    ReminderStep,
    Tone,
    parse_reference_rates,
)

DUE = date(2025, 3, 14)

# Values as published by the Riksbank (see functions/billing/data/riksbank_reference_rates.json).
RATES: ReferenceRates = parse_reference_rates(
    [
        {"effective_from": "2023-01-01", "rate_percent": "2.50"},
        {"effective_from": "2023-07-01", "rate_percent": "3.50"},
        {"effective_from": "2024-01-01", "rate_percent": "4.00"},
        {"effective_from": "2024-07-01", "rate_percent": "4.00"},
        {"effective_from": "2025-01-01", "rate_percent": "3.00"},
        {"effective_from": "2025-07-01", "rate_percent": "2.00"},
        {"effective_from": "2026-01-01", "rate_percent": "2.00"},
    ]
)


def a_policy(**overrides: Any) -> ReminderPolicy:
    fields: dict[str, Any] = {
        "steps": (
            ReminderStep(days_after_due=5, fee=False, tone=Tone.FRIENDLY),
            ReminderStep(days_after_due=20, fee=True, tone=Tone.CLEAR),
        ),
        "mandate_retry_days": (),
        "reminder_fee_ore": 6000,
        "charge_interest": True,
        "long_standing_months": 24,
        "repeated_lateness_count": 2,
        "resume_grace_days": 3,
        "max_due_date_move_days": 14,
        "max_instalments": 3,
    }
    fields.update(overrides)
    return ReminderPolicy(**fields)


def an_invoice(**overrides: Any) -> InvoiceDunningState:
    fields: dict[str, Any] = {
        "invoice_id": "inv-2025-0042",
        "status": InvoiceStatus.OPEN,
        "amount_due_minor": 125_000,
        "currency": "SEK",
        "original_due_date": DUE,
        "fee_agreed": True,
        "customer": CustomerHistory(tenure_months=6, previous_late_invoices=1),
    }
    fields.update(overrides)
    return InvoiceDunningState(**fields)
