"""Builds the bank-payment use cases (BgMax import, the unmatched list, assign, reverse; docs/bgmax.md)
once per container, for the inbox Lambda and the `billing payments` CLI. Settlement is the one every
payment uses (wiring/core.apply_payment_event)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from billing.settings import settings
from billing.wiring import TableStore
from billing.wiring.core import (
    apply_payment_event,
    audit_trail,
    invoice_ledger,
    tenant_directory,
)

if TYPE_CHECKING:
    from billing.adapters.dynamo.bank_payments import DynamoBankLedger
    from billing.services.bank_payments import AssignPayment, ImportBgMax, ReverseBankPayment
    from billing.services.bank_payments.booking import Booking


bank_ledger: TableStore[DynamoBankLedger] = TableStore("dynamo.bank_payments.DynamoBankLedger")


@cache
def bank_booking() -> Booking:
    """Planning and booking one payment: shared by the import and an operator's assignment."""
    from billing.adapters.dynamo.bank_payments import DynamoOcrIndex
    from billing.services.bank_payments.booking import Booking
    from billing.services.billing_run import SystemClock

    return Booking(
        invoices=invoice_ledger(),
        ocr=DynamoOcrIndex(),
        ledger=bank_ledger(),
        settle=apply_payment_event(),  # the same settlement as card and Autogiro payments
        audit=audit_trail(),
        clock=SystemClock(),
    )


@cache
def import_bgmax() -> ImportBgMax:
    from billing.adapters.bank_files import S3BankFiles
    from billing.services.bank_payments import ImportBgMax

    return ImportBgMax(
        tenants=tenant_directory().get, booking=bank_booking(), files=S3BankFiles(settings().pages_bucket)
    )


@cache
def assign_bank_payment() -> AssignPayment:
    from billing.services.bank_payments import AssignPayment

    return AssignPayment(tenants=tenant_directory().get, booking=bank_booking())


@cache
def reverse_bank_payment() -> ReverseBankPayment:
    from billing.services.bank_payments import ReverseBankPayment
    from billing.services.billing_run import SystemClock

    return ReverseBankPayment(
        ledger=bank_ledger(), settle=apply_payment_event(), audit=audit_trail(), clock=SystemClock()
    )
