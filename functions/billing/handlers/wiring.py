"""Builds each use case once per Lambda container from Settings and the adapters.

Handlers import from here so that a warm container reuses clients, table bindings and templates.
Only what a handler asks for is built (and imported): cold starts pay for their own needs only.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from billing.settings import settings

if TYPE_CHECKING:
    from billing.adapters.aws import SesMailer
    from billing.adapters.dynamo.stores import (
        DynamoAuditTrail,
        DynamoCustomerDirectory,
        DynamoInvoiceLedger,
        DynamoRunLedger,
        DynamoTenantDirectory,
    )
    from billing.services.billing_run import IssueInvoice, StartBillingRun
    from billing.services.invoice_pages import InvoicePages, PageActions


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
def invoice_pages() -> InvoicePages:
    from billing.adapters.aws import S3PagePublisher
    from billing.adapters.presenter import JinjaInvoicePresenter
    from billing.services.billing_run import SystemClock
    from billing.services.invoice_pages import InvoicePages

    s = settings()
    return InvoicePages(
        tenants=tenant_directory(),
        customers=customer_directory(),
        invoices=invoice_ledger(),
        presenter=JinjaInvoicePresenter(pages_base_url=s.pages_base_url, api_base_url=s.api_base_url),
        pages=S3PagePublisher(s.pages_bucket),
        clock=SystemClock(),
    )


@cache
def mailer() -> SesMailer:
    from billing.adapters.aws import SesMailer

    return SesMailer(settings().sender_email)


@cache
def audit_trail() -> DynamoAuditTrail:
    from billing.adapters.dynamo.stores import DynamoAuditTrail

    bind_tables()
    return DynamoAuditTrail()


@cache
def issue_invoice() -> IssueInvoice:
    from billing.adapters.dynamo.stores import DynamoUsageStore
    from billing.services.billing_run import IssueInvoice, SystemClock

    return IssueInvoice(
        tenants=tenant_directory(),
        customers=customer_directory(),
        usage=DynamoUsageStore(),
        invoices=invoice_ledger(),
        runs=run_ledger(),
        pages=invoice_pages(),
        mailer=mailer(),
        clock=SystemClock(),
    )


@cache
def page_actions() -> PageActions:
    from billing.services.billing_run import SystemClock
    from billing.services.invoice_pages import PageActions

    return PageActions(
        pages=invoice_pages(),
        invoices=invoice_ledger(),
        audit=audit_trail(),
        mailer=mailer(),
        clock=SystemClock(),
    )
