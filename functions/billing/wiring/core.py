"""Builds each use case once per Lambda container from Settings and the adapters.

Handlers import from here so that a warm container reuses clients, table bindings and templates.
Only what a handler asks for is built (and imported): cold starts pay for their own needs only.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, TypedDict

from billing.settings import settings
from billing.wiring import TableStore, bind_tables
from billing.wiring.pages import invoice_presenter

if TYPE_CHECKING:
    from billing.adapters.autogiro import JinjaAutogiroForm
    from billing.adapters.aws import SesMailer
    from billing.adapters.dunning_mail import JinjaDunningMail
    from billing.adapters.dynamo.autogiro import DynamoAutogiroInvoices, DynamoMandateStore
    from billing.adapters.dynamo.dunning import DynamoDunningStore
    from billing.adapters.dynamo.engagement import DynamoDeliveryLog
    from billing.adapters.dynamo.mandates import DynamoStripeRecords
    from billing.adapters.dynamo.stores import (
        DynamoAuditTrail,
        DynamoCustomerDirectory,
        DynamoInvoiceLedger,
        DynamoRunLedger,
        DynamoTenantDirectory,
    )
    from billing.adapters.dynamo.stripe_events import DynamoStripeEvents
    from billing.adapters.dynamo.usage import DynamoUsageReader
    from billing.adapters.payment_emails import EmailPaymentNotices
    from billing.adapters.secrets import SecretsManagerStripeCredentials
    from billing.adapters.stripe_gateway import StripePaymentGateway
    from billing.services.autogiro import (
        AutogiroMandates,
        CancelMandate,
        ExportRequestFile,
        ImportReport,
    )
    from billing.services.billing_run import IssueInvoice, StartBillingRun, SystemClock
    from billing.services.dunning import AnswerQuestion, ExportForCollection, SendReminders
    from billing.services.invoice_pages import InvoicePages, PageActions
    from billing.services.payment_method_change import ChangePaymentMethod
    from billing.services.payments import (
        CollectDuePayments,
        FollowMandate,
        ProcessStripeEvent,
        StartPayment,
    )
    from billing.services.relief import CustomerRelief
    from billing.services.settlement import ApplyPaymentEvent

run_ledger: TableStore[DynamoRunLedger] = TableStore("dynamo.stores.DynamoRunLedger")
invoice_ledger: TableStore[DynamoInvoiceLedger] = TableStore("dynamo.stores.DynamoInvoiceLedger")
tenant_directory: TableStore[DynamoTenantDirectory] = TableStore("dynamo.stores.DynamoTenantDirectory")
customer_directory: TableStore[DynamoCustomerDirectory] = TableStore("dynamo.stores.DynamoCustomerDirectory")
audit_trail: TableStore[DynamoAuditTrail] = TableStore("dynamo.stores.DynamoAuditTrail")
usage_reader: TableStore[DynamoUsageReader] = TableStore("dynamo.usage.DynamoUsageReader")
stripe_records: TableStore[DynamoStripeRecords] = TableStore("dynamo.mandates.DynamoStripeRecords")
stripe_events: TableStore[DynamoStripeEvents] = TableStore("dynamo.stripe_events.DynamoStripeEvents")
dunning_store: TableStore[DynamoDunningStore] = TableStore("dynamo.dunning.DynamoDunningStore")
# Which invoice each email was, for SES's bounces and complaints (billing.services.deliveries).
delivery_log: TableStore[DynamoDeliveryLog] = TableStore("dynamo.engagement.DynamoDeliveryLog")


@cache
def mailer() -> SesMailer:
    from billing.adapters.aws import SesMailer

    return SesMailer(settings().sender_email)


class PageChange(TypedDict):
    """What every use case that changes an invoice and publishes its page again is built with."""

    invoices: DynamoInvoiceLedger
    pages: InvoicePages
    audit: DynamoAuditTrail
    clock: SystemClock


def page_change() -> PageChange:
    from billing.services.billing_run import SystemClock

    return PageChange(
        invoices=invoice_ledger(), pages=invoice_pages(), audit=audit_trail(), clock=SystemClock()
    )


class CustomerAction(PageChange):
    """A page change that is the customer's own action, confirmed by email: besides, the mailer and the
    pages' address the email links to."""

    mailer: SesMailer
    pages_base_url: str


def customer_action() -> CustomerAction:
    return CustomerAction(**page_change(), mailer=mailer(), pages_base_url=settings().pages_base_url)


class DunningChange(PageChange):
    """A page change about a late invoice's dunning, with a letter to the customer
    (billing.services.dunning.letters)."""

    store: DynamoDunningStore
    mail: JinjaDunningMail
    mailer: SesMailer


def dunning_change() -> DunningChange:
    return DunningChange(**page_change(), store=dunning_store(), mail=dunning_mail(), mailer=mailer())


@cache
def start_billing_run() -> StartBillingRun:
    from billing.adapters.aws import SqsInvoiceQueue
    from billing.services.billing_run import StartBillingRun, SystemClock

    return StartBillingRun(
        customers=customer_directory(),
        runs=run_ledger(),
        queue=SqsInvoiceQueue(settings().invoice_queue_url),
        clock=SystemClock(),
    )


@cache
def invoice_pages() -> InvoicePages:
    from billing.adapters.aws import S3PagePublisher
    from billing.services.billing_run import SystemClock
    from billing.services.invoice_pages import InvoicePages

    return InvoicePages(
        tenants=tenant_directory(),
        customers=customer_directory(),
        invoices=invoice_ledger(),
        presenter=invoice_presenter(),
        pages=S3PagePublisher(settings().pages_bucket),
        clock=SystemClock(),
        usage=usage_reader(),
    )


@cache
def issue_invoice() -> IssueInvoice:
    from billing.services.autopay import AutopayAtIssue
    from billing.services.billing_run import IssueInvoice, SystemClock

    mandates, _ = autogiro_store()
    return IssueInvoice(
        tenants=tenant_directory(),
        usage=usage_reader(),
        invoices=invoice_ledger(),
        runs=run_ledger(),
        pages=invoice_pages(),
        mailer=mailer(),
        clock=SystemClock(),
        autopay=AutopayAtIssue(autogiro_mandates=mandates),
    )


@cache
def page_actions() -> PageActions:
    from billing.services.invoice_pages import PageActions

    return PageActions(**page_change(), mailer=mailer())


# ---------------------------------------------------------------- Stripe payments (docs/payments.md)


@cache
def stripe_credentials() -> SecretsManagerStripeCredentials:
    from billing.adapters.secrets import SecretsManagerStripeCredentials

    return SecretsManagerStripeCredentials()


@cache
def _stripe_gateway(api_key: str | None, local_api_base: str | None) -> StripePaymentGateway:
    from billing.adapters.stripe_gateway import StripePaymentGateway

    return StripePaymentGateway.for_environment(api_key, local_api_base=local_api_base)


def stripe_gateway(tenant_id: str) -> StripePaymentGateway:
    """The tenant's gateway: Stripe with its key, or the local stand-in when it has none (locally)."""
    from billing.settings import stripe_api_base

    return _stripe_gateway(stripe_credentials().get(tenant_id).api_key, stripe_api_base())


@cache
def payment_notices() -> EmailPaymentNotices:
    from billing.adapters.payment_emails import EmailPaymentNotices
    from billing.services.billing_run import SystemClock

    return EmailPaymentNotices(
        presenter=invoice_presenter(),
        invoices=invoice_ledger(),
        mailer=mailer(),
        clock=SystemClock(),
    )


@cache
def apply_payment_event() -> ApplyPaymentEvent:
    from billing.services.billing_run import SystemClock
    from billing.services.settlement import ApplyPaymentEvent
    from billing.wiring.outbox import drive_outbox

    # Its effects (audit, balance, page, receipt, a split's parent, the merchant) are driven from the
    # outbox event the payment's transaction writes (billing.services.outbox).
    return ApplyPaymentEvent(
        invoices=invoice_ledger(), payments=invoice_ledger(), effects=drive_outbox(), clock=SystemClock()
    )


@cache
def start_payment() -> StartPayment:
    from billing.services.billing_run import SystemClock
    from billing.services.payments import StartPayment

    return StartPayment(
        invoices=invoice_ledger(),
        tenants=tenant_directory(),
        customers=customer_directory(),
        records=stripe_records(),
        gateways=stripe_gateway,
        clock=SystemClock(),
        pages_base_url=settings().pages_base_url,
    )


@cache
def process_stripe_event() -> ProcessStripeEvent:
    from billing.adapters.stripe_event_reader import to_domain_event
    from billing.services.payments import ProcessStripeEvent
    from billing.wiring import outbox as outbox_wiring

    return ProcessStripeEvent(
        **page_change(),
        settle=apply_payment_event(),
        records=stripe_records(),
        emails=payment_notices(),
        held=stripe_events(),
        method_change=payment_method_change(),
        read=to_domain_event,
        effects=outbox_wiring.drive_outbox(),  # what follows a mandate's change
    )


@cache
def follow_mandate() -> FollowMandate:
    """The customer's open invoices follow a card mandate that began or ended (the outbox's effect)."""
    from billing.services.payments import FollowMandate

    return FollowMandate(
        records=stripe_records(),
        invoices=invoice_ledger(),
        pages=invoice_pages(),
        emails=payment_notices(),
        audit=audit_trail(),
        method_change=payment_method_change(),
    )


@cache
def collect_due_payments() -> CollectDuePayments:
    from billing.services.payments import CollectDuePayments

    return CollectDuePayments(
        **page_change(), records=stripe_records(), gateways=stripe_gateway, emails=payment_notices()
    )


# ---------------------------------------------------------------- dunning (docs/dunning.md)


@cache
def dunning_mail() -> JinjaDunningMail:
    from billing.adapters.dunning_mail import JinjaDunningMail

    return JinjaDunningMail(invoice_presenter())


@cache
def send_reminders() -> SendReminders:
    from billing.adapters.dunning_page import load_reference_rates
    from billing.services.dunning import SendReminders
    from billing.wiring import outbox as outbox_wiring

    return SendReminders(
        **dunning_change(),
        tenants=tenant_directory(),
        customers=customer_directory(),
        rates=load_reference_rates(),
        effects=outbox_wiring.drive_outbox(),  # the reminder's email, page and merchant events
    )


@cache
def customer_relief() -> CustomerRelief:
    from billing.adapters.dunning_page import render_relief_page
    from billing.services.relief import CustomerRelief

    return CustomerRelief(**dunning_change(), form=render_relief_page)


@cache
def answer_question() -> AnswerQuestion:
    from billing.services.dunning import AnswerQuestion

    return AnswerQuestion(**dunning_change())


@cache
def export_for_collection() -> ExportForCollection:
    from billing.adapters.dunning_page import load_reference_rates
    from billing.services.billing_run import SystemClock
    from billing.services.dunning import ExportForCollection

    return ExportForCollection(
        tenants=tenant_directory(),
        customers=customer_directory(),
        invoices=invoice_ledger(),
        store=dunning_store(),
        audit=audit_trail(),
        rates=load_reference_rates(),
        clock=SystemClock(),
    )


# ---------------------------------------------------------------- Autogiro (docs/autogiro.md)


@cache
def autogiro_store() -> tuple[DynamoMandateStore, DynamoAutogiroInvoices]:
    from billing.adapters.dynamo.autogiro import DynamoAutogiroInvoices, DynamoMandateStore

    bind_tables()
    return DynamoMandateStore(), DynamoAutogiroInvoices(invoice_ledger())


@cache
def autogiro_mandates() -> AutogiroMandates:
    from billing.services.autogiro import AutogiroMandates

    mandates, autogiro_invoices = autogiro_store()
    return AutogiroMandates(
        **page_change(),
        autogiro_invoices=autogiro_invoices,
        mandates=mandates,
        method_change=payment_method_change(),
    )


@cache
def payment_method_change() -> ChangePaymentMethod:
    """A new automatic method takes over from the one in force, confirmed once (issue 17)."""
    from billing.adapters.payment_control_mail import MethodChangeConfirmationMail
    from billing.domain.autogiro.invoice_state import IN_FORCE
    from billing.services.payment_method_change import ChangePaymentMethod

    mandates, _ = autogiro_store()

    def autogiro_in_force(tenant_id: str, customer_id: str) -> bool:
        mandate = mandates.get(tenant_id, customer_id)
        return mandate is not None and mandate.status.value in IN_FORCE

    return ChangePaymentMethod(
        **customer_action(),
        cards=stripe_records(),
        cancel_autogiro=cancel_autogiro_mandate(),
        autogiro_in_force=autogiro_in_force,
        mail=MethodChangeConfirmationMail(),
    )


@cache
def autogiro_form() -> JinjaAutogiroForm:
    from billing.adapters.autogiro import JinjaAutogiroForm

    s = settings()
    return JinjaAutogiroForm(pages_base_url=s.pages_base_url, api_base_url=s.api_base_url)


@cache
def export_autogiro() -> ExportRequestFile:
    from billing.adapters.autogiro import S3AutogiroFiles
    from billing.services.autogiro import ExportRequestFile
    from billing.services.billing_run import SystemClock

    mandates, autogiro_invoices = autogiro_store()
    return ExportRequestFile(
        tenants=tenant_directory().get,
        autogiro_invoices=autogiro_invoices,
        mandates=mandates,
        pages=invoice_pages(),
        files=S3AutogiroFiles(settings().pages_bucket),
        mailer=mailer(),
        audit=audit_trail(),
        clock=SystemClock(),
    )


@cache
def cancel_autogiro_mandate() -> CancelMandate:
    from billing.services.autogiro import CancelMandate
    from billing.services.billing_run import SystemClock

    mandates, _ = autogiro_store()
    return CancelMandate(mandates=mandates, audit=audit_trail(), clock=SystemClock())


@cache
def import_autogiro() -> ImportReport:
    from billing.adapters.autogiro import S3AutogiroFiles
    from billing.services.autogiro import ImportReport

    mandates, autogiro_invoices = autogiro_store()
    return ImportReport(
        **page_change(),
        tenants=tenant_directory().get,
        autogiro_invoices=autogiro_invoices,
        mandates=mandates,
        settle=apply_payment_event(),  # the same settlement as Stripe's, receipt included
        files=S3AutogiroFiles(settings().pages_bucket),
    )
