"""Builds each use case once per Lambda container from Settings and the adapters.

Handlers import from here so that a warm container reuses clients, table bindings and templates.
Only what a handler asks for is built (and imported): cold starts pay for their own needs only.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from billing.settings import settings

if TYPE_CHECKING:
    from billing.adapters.dynamo.stores import (
        DynamoCustomerDirectory,
        DynamoInvoiceLedger,
        DynamoRunLedger,
        DynamoTenantDirectory,
    )
    from billing.services.billing_run import IssueInvoice, StartBillingRun


@cache
def bind_tables() -> None:
    from billing.adapters.dynamo.models import bind

    bind(settings())


@cache
def start_billing_run() -> StartBillingRun:
    from billing.adapters.aws import SqsInvoiceQueue
    from billing.adapters.dynamo.stores import DynamoCustomerDirectory, DynamoRunLedger
    from billing.services.billing_run import StartBillingRun, SystemClock

    bind_tables()
    return StartBillingRun(
        customers=DynamoCustomerDirectory(),
        runs=DynamoRunLedger(),
        queue=SqsInvoiceQueue(settings().invoice_queue_url),
        clock=SystemClock(),
    )


@cache
def run_ledger() -> DynamoRunLedger:
    from billing.adapters.dynamo.stores import DynamoRunLedger

    bind_tables()
    return DynamoRunLedger()


@cache
def invoice_ledger() -> DynamoInvoiceLedger:
    from billing.adapters.dynamo.stores import DynamoInvoiceLedger

    bind_tables()
    return DynamoInvoiceLedger()


@cache
def tenant_directory() -> DynamoTenantDirectory:
    from billing.adapters.dynamo.stores import DynamoTenantDirectory

    bind_tables()
    return DynamoTenantDirectory()


@cache
def customer_directory() -> DynamoCustomerDirectory:
    from billing.adapters.dynamo.stores import DynamoCustomerDirectory

    bind_tables()
    return DynamoCustomerDirectory()


@cache
def issue_invoice() -> IssueInvoice:
    from billing.adapters.aws import S3PagePublisher, SesMailer
    from billing.adapters.dynamo.stores import DynamoUsageStore
    from billing.adapters.presenter import JinjaInvoicePresenter
    from billing.services.billing_run import IssueInvoice, SystemClock

    s = settings()
    return IssueInvoice(
        tenants=tenant_directory(),
        customers=customer_directory(),
        usage=DynamoUsageStore(),
        invoices=invoice_ledger(),
        runs=run_ledger(),
        presenter=JinjaInvoicePresenter(pages_base_url=s.pages_base_url, api_base_url=s.api_base_url),
        pages=S3PagePublisher(s.pages_bucket),
        mailer=SesMailer(s.sender_email),
        clock=SystemClock(),
    )
