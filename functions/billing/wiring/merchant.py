"""Builds the merchant API's use cases once per container (the HTTP API and the `billing` CLI share
them, so a customer made either way goes through the same checks)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, TypedDict

from billing.wiring import TableStore

if TYPE_CHECKING:
    from billing.adapters.dynamo.customers import DynamoCustomerRecords
    from billing.adapters.dynamo.invoice_reads import DynamoInvoiceReads
    from billing.adapters.dynamo.ledger_documents import DynamoLedgerDocuments
    from billing.adapters.dynamo.stores import DynamoTenantDirectory
    from billing.adapters.dynamo.subscriptions import DynamoSubscriptionRecords
    from billing.adapters.dynamo.usage import DynamoApiKeys
    from billing.services.billing_run import IssueInvoice, RandomTokens
    from billing.services.credit_notes.create import CreateCreditNote
    from billing.services.credit_notes.get import GetCreditNote
    from billing.services.customers.create import CreateCustomer
    from billing.services.customers.get import GetCustomer
    from billing.services.customers.list import ListCustomers
    from billing.services.customers.update import UpdateCustomer
    from billing.services.invoices.create import CreateOneOffInvoice
    from billing.services.invoices.get import GetInvoice
    from billing.services.invoices.list import ListInvoices
    from billing.services.invoices.open_questions import ListOpenQuestions
    from billing.services.invoices.questions import InvoiceQuestions
    from billing.services.invoices.upcoming import UpcomingInvoice
    from billing.services.ports import Clock
    from billing.services.subscriptions.cancel import CancelSubscription
    from billing.services.subscriptions.change_plan import ChangePlan
    from billing.services.subscriptions.get import GetSubscription
    from billing.services.subscriptions.start import StartSubscription


# The merchant API's own tenant cache. In AWS every function has its own container anyway; in one local
# process (the demo, the tests) it keeps the API's reads from serving stale settings to the other
# functions' code after a tenant is changed.
tenants: TableStore[DynamoTenantDirectory] = TableStore("dynamo.stores.DynamoTenantDirectory")
api_keys: TableStore[DynamoApiKeys] = TableStore("dynamo.usage.DynamoApiKeys")
customer_records: TableStore[DynamoCustomerRecords] = TableStore("dynamo.customers.DynamoCustomerRecords")
subscription_records: TableStore[DynamoSubscriptionRecords] = TableStore(
    "dynamo.subscriptions.DynamoSubscriptionRecords"
)
invoice_reads: TableStore[DynamoInvoiceReads] = TableStore("dynamo.invoice_reads.DynamoInvoiceReads")
ledger_documents: TableStore[DynamoLedgerDocuments] = TableStore(
    "dynamo.ledger_documents.DynamoLedgerDocuments"
)


@cache
def create_customer() -> CreateCustomer:
    from billing.services.billing_run import SystemClock
    from billing.services.customers.create import CreateCustomer

    return CreateCustomer(records=customer_records(), clock=SystemClock())


@cache
def update_customer() -> UpdateCustomer:
    from billing.services.billing_run import SystemClock
    from billing.services.customers.update import UpdateCustomer

    return UpdateCustomer(records=customer_records(), clock=SystemClock())


@cache
def get_customer() -> GetCustomer:
    from billing.services.customers.get import GetCustomer

    return GetCustomer(records=customer_records())


@cache
def list_customers() -> ListCustomers:
    from billing.services.customers.list import ListCustomers

    return ListCustomers(records=customer_records())


class Subscriptions(TypedDict):
    """What every use case on a subscription is built with: the records, the tenants' catalogs, a clock."""

    records: DynamoSubscriptionRecords
    tenants: DynamoTenantDirectory
    clock: Clock


def subscriptions(clock: Clock | None = None) -> Subscriptions:
    """The container's subscription records and tenants, at the system's time unless a clock is given."""
    from billing.services.billing_run import SystemClock

    return Subscriptions(
        records=subscription_records(), tenants=tenants(), clock=SystemClock() if clock is None else clock
    )


def plan_change(parts: Subscriptions) -> ChangePlan:
    """A plan change over these parts, the invoice it makes delivered as the billing run delivers one."""
    from billing.services.billing_run import RandomTokens
    from billing.services.subscriptions.change_plan import ChangePlan
    from billing.wiring.core import issue_invoice

    return ChangePlan(**parts, delivery=issue_invoice(), tokens=RandomTokens())


@cache
def start_subscription() -> StartSubscription:
    from billing.services.subscriptions.start import StartSubscription

    return StartSubscription(**subscriptions())


@cache
def get_subscription() -> GetSubscription:
    from billing.services.billing_run import SystemClock
    from billing.services.subscriptions.get import GetSubscription

    return GetSubscription(records=subscription_records(), clock=SystemClock())


@cache
def change_plan() -> ChangePlan:
    return plan_change(subscriptions())


@cache
def cancel_subscription() -> CancelSubscription:
    from billing.services.subscriptions.cancel import CancelSubscription

    return CancelSubscription(**subscriptions())


@cache
def list_invoices() -> ListInvoices:
    from billing.services.invoices.list import ListInvoices
    from billing.settings import settings

    return ListInvoices(invoices=invoice_reads(), pages_base_url=settings().pages_base_url)


@cache
def get_invoice() -> GetInvoice:
    from billing.services.invoices.get import GetInvoice
    from billing.settings import settings

    return GetInvoice(invoices=invoice_reads(), pages_base_url=settings().pages_base_url)


@cache
def upcoming_invoice() -> UpcomingInvoice:
    from billing.services.billing_run import SystemClock
    from billing.services.invoices.upcoming import UpcomingInvoice
    from billing.wiring.core import customer_directory, usage_reader

    return UpcomingInvoice(
        customers=customer_directory(),
        tenants=tenants(),
        usage=usage_reader(),
        clock=SystemClock(),
    )


@cache
def invoice_questions() -> InvoiceQuestions:
    from billing.services.invoices.questions import InvoiceQuestions

    return InvoiceQuestions(invoices=invoice_reads())


# ------------------------------------------------------------------------------ ledger documents


class LedgerIssuing(TypedDict):
    """What a use case that issues a ledger document (a one-off invoice, a credit note) is built with."""

    ledger: DynamoLedgerDocuments
    tenants: DynamoTenantDirectory
    delivery: IssueInvoice
    tokens: RandomTokens
    clock: Clock


def ledger_issuing() -> LedgerIssuing:
    from billing.services.billing_run import RandomTokens, SystemClock
    from billing.wiring.core import issue_invoice

    return LedgerIssuing(
        ledger=ledger_documents(),
        tenants=tenants(),
        delivery=issue_invoice(),
        tokens=RandomTokens(),
        clock=SystemClock(),
    )


@cache
def create_one_off_invoice() -> CreateOneOffInvoice:
    from billing.services.invoices.create import CreateOneOffInvoice

    return CreateOneOffInvoice(**ledger_issuing())


@cache
def create_credit_note() -> CreateCreditNote:
    from billing.services.credit_notes.create import CreateCreditNote
    from billing.wiring.core import invoice_pages

    return CreateCreditNote(**ledger_issuing(), pages=invoice_pages())


@cache
def get_credit_note() -> GetCreditNote:
    from billing.services.credit_notes.get import GetCreditNote

    return GetCreditNote(invoices=invoice_reads())


@cache
def open_questions() -> ListOpenQuestions:
    from billing.adapters.dynamo.open_questions import DynamoOpenQuestions
    from billing.services.invoices.open_questions import ListOpenQuestions
    from billing.settings import settings

    return ListOpenQuestions(
        questions=DynamoOpenQuestions(), invoices=invoice_reads(), pages_base_url=settings().pages_base_url
    )
