"""Builds the bank-payment use cases (BgMax import, the unmatched list, assign, reverse; docs/bgmax.md)
once per container, for the inbox Lambda and the `billing payments` CLI. Settlement is the one every
payment uses (handlers/wiring.apply_payment_event)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from billing.handlers.wiring import (
    apply_payment_event,
    audit_trail,
    bind_tables,
    invoice_ledger,
    tenant_directory,
)
from billing.settings import settings

if TYPE_CHECKING:
    from billing.adapters.dynamo.bank_payments import DynamoBankLedger
    from billing.services.bank_payments import AssignPayment, ImportBgMax, ReverseBankPayment


@cache
def bank_ledger() -> DynamoBankLedger:
    from billing.adapters.dynamo.bank_payments import DynamoBankLedger

    bind_tables()
    return DynamoBankLedger()


@cache
def import_bgmax() -> ImportBgMax:
    from billing.adapters.bank_files import S3BankFiles
    from billing.adapters.dynamo.bank_payments import DynamoOcrIndex
    from billing.services.bank_payments import ImportBgMax
    from billing.services.billing_run import SystemClock

    return ImportBgMax(
        tenants=tenant_directory().get,
        invoices=invoice_ledger(),
        ocr=DynamoOcrIndex(),
        ledger=bank_ledger(),
        settle=apply_payment_event(),  # the same settlement as card and Autogiro payments
        files=S3BankFiles(settings().pages_bucket),
        audit=audit_trail(),
        clock=SystemClock(),
    )


@cache
def assign_bank_payment() -> AssignPayment:
    from billing.adapters.dynamo.bank_payments import DynamoOcrIndex
    from billing.services.bank_payments import AssignPayment
    from billing.services.billing_run import SystemClock

    return AssignPayment(
        tenants=tenant_directory().get,
        invoices=invoice_ledger(),
        ocr=DynamoOcrIndex(),
        ledger=bank_ledger(),
        settle=apply_payment_event(),
        audit=audit_trail(),
        clock=SystemClock(),
    )


@cache
def reverse_bank_payment() -> ReverseBankPayment:
    from billing.services.bank_payments import ReverseBankPayment
    from billing.services.billing_run import SystemClock

    return ReverseBankPayment(
        ledger=bank_ledger(), settle=apply_payment_event(), audit=audit_trail(), clock=SystemClock()
    )
