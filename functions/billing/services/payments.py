"""Stripe payments as use cases: pay on the page, save a mandate, process a verified event, collect on due.

- `StartPayment.pay(token)` / `.autopay(token)`: the page's Pay and "pay automatically" links. One
  Checkout Session per invoice and attempt (the gateway's idempotency key is `<invoice>:checkout:<n>`);
  clicking again within the session's life, or a retried request, gets the same session back.
- `ProcessStripeEvent(tenant_id, event)`: one verified webhook event, mapped to a domain event. Payment
  facts go through `ApplyPaymentEvent` (amounts, balance, audit, page, receipt, once each); mandate
  events update the customer's saved method; refunds become credit notes; disputes flag the invoice.
- `CollectDuePayments(tenant_id, today)`: the daily collector. Charges each open invoice due by today
  whose customer has an active mandate, off-session, on the tenant's retry schedule.

Tenant settings live in the tenant's page document under "payments" (docs/payments.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from billing.domain.autogiro.bankdays import stockholm_date
from billing.domain.credit import credit_note
from billing.domain.dunning import ReminderPolicyError, parse_reminder_policy
from billing.domain.invoice import CREDIT_NOTE
from billing.domain.page.context import CreditNoteRef
from billing.domain.payments import (
    METADATA_CUSTOMER_ID,
    METADATA_TENANT_ID,
    ChargeResult,
    CheckoutSession,
    CollectorAction,
    DomainPaymentEvent,
    FallbackReason,
    IgnoredEvent,
    InvoicePayments,
    Mandate,
    MandateActivated,
    MandateDetached,
    MandateStatus,
    MandateUpdated,
    PaymentDataError,
    PaymentFailed,
    PaymentProcessing,
    PaymentSucceeded,
    apply_mandate_event,
    awaited_payment,
    choose_payment_methods,
    decide_after_charge,
    validate_retry_schedule,
)
from billing.domain.stripe_events import to_domain_event
from billing.services.errors import PermanentError, failure_note
from billing.services.invoice_pages import InvoiceNotFound, InvoicePages
from billing.services.ports import (
    AuditEvent,
    AuditTrail,
    Clock,
    CustomerAccount,
    InvoiceLedger,
    StoredInvoice,
    TenantAccount,
)
from billing.services.settlement import ApplyPaymentEvent, payments_of

DEFAULT_METHODS = ("card", "klarna", "swish")
DEFAULT_AUTOPAY_METHODS = ("card", "sepa_debit", "klarna")
DEFAULT_RETRY_DAYS = (0, 3, 7)
# Stripe keeps an idempotency key for 24 hours and a Checkout Session is open for 24 hours: within 23
# hours a click reuses the attempt (same key, same session); after that a new attempt starts.
SESSION_REUSE = timedelta(hours=23)


# --------------------------------------------------------------------------------------------------
# Settings and ports
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentSettings:
    """The tenant's `page["payments"]`: which methods Checkout offers, which can be saved for automatic
    payment, and the collector's retry schedule (days after the due date, starting with 0)."""

    enabled: bool = True
    methods: tuple[str, ...] = DEFAULT_METHODS
    autopay_methods: tuple[str, ...] = DEFAULT_AUTOPAY_METHODS
    retry_days: tuple[int, ...] = DEFAULT_RETRY_DAYS

    @classmethod
    def from_page(cls, page: Mapping[str, Any]) -> PaymentSettings:
        raw = page.get("payments") or {}
        if not isinstance(raw, Mapping):
            raise PermanentError("must be an object", field="page.payments")
        enabled = raw.get("enabled", True)
        if not isinstance(enabled, bool):
            raise PermanentError("must be true or false", field="page.payments.enabled")
        try:
            retry = validate_retry_schedule(raw.get("retry_days", _reminder_retry_days(page)))
        except PaymentDataError as err:
            raise PermanentError(err.reason, field="page.payments.retry_days") from None
        return cls(
            enabled=enabled,
            methods=_methods(raw, "methods", DEFAULT_METHODS),
            autopay_methods=_methods(raw, "autopay_methods", DEFAULT_AUTOPAY_METHODS),
            retry_days=retry,
        )

    def checkout_methods(self, currency: str) -> list[str]:
        return choose_payment_methods(currency, self.methods, reusable=False)

    def mandate_methods(self, currency: str) -> list[str]:
        return choose_payment_methods(currency, self.autopay_methods, reusable=True)

    def offers_autopay(self, currency: str) -> bool:
        try:
            return self.enabled and bool(self.mandate_methods(currency))
        except PaymentDataError:
            return False


def _reminder_retry_days(page: Mapping[str, Any]) -> tuple[int, ...]:
    """The card schedule a tenant gets from its reminder policy when it sets no `retry_days` of its
    own: one setting for both mandates. The policy's `mandate_retry_days` count from the first failed
    charge, which the collector makes on the due date, so retry n falls on due date + that many days;
    the first charge is on the due date itself (0)."""
    raw = page.get("reminders")
    if raw is None:
        return DEFAULT_RETRY_DAYS
    try:
        policy = parse_reminder_policy(raw)
    except ReminderPolicyError:
        return DEFAULT_RETRY_DAYS  # the reminder job refuses this policy, naming its field
    return validate_retry_schedule((0, *policy.mandate_retry_days))


def _methods(raw: Mapping[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = raw.get(key, default)
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise PermanentError("must list at least one payment method", field=f"page.payments.{key}")
    if not all(isinstance(m, str) and m for m in value):
        raise PermanentError("payment methods are names such as 'card'", field=f"page.payments.{key}")
    return tuple(value)


class PaymentGateway(Protocol):
    """What `billing.adapters.stripe_gateway.StripePaymentGateway` offers the use cases."""

    def create_checkout_session(
        self,
        invoice_id: str,
        attempt: int,
        amount: int,
        currency: str,
        customer_email: str | None,
        description: str,
        success_url: str,
        cancel_url: str,
        payment_methods: Sequence[str],
        metadata: Mapping[str, str] | None = None,
        *,
        stripe_customer: str | None = None,
        locale: str | None = None,
    ) -> CheckoutSession: ...

    def create_setup_session(
        self,
        invoice_id: str,
        attempt: int,
        currency: str,
        customer_email: str | None,
        success_url: str,
        cancel_url: str,
        payment_methods: Sequence[str],
        metadata: Mapping[str, str] | None = None,
        *,
        stripe_customer: str | None = None,
        customer_id: str | None = None,
        locale: str | None = None,
    ) -> CheckoutSession: ...

    def charge_off_session(
        self,
        invoice_id: str,
        attempt: int,
        amount: int,
        currency: str,
        stripe_customer: str,
        payment_method: str,
        metadata: Mapping[str, str] | None = None,
        *,
        description: str | None = None,
        return_url: str | None = None,
        mandate: str | None = None,
    ) -> ChargeResult: ...


GatewayFor = Callable[[str], PaymentGateway]  # tenant id -> that tenant's gateway


class StripeRecords(Protocol):
    """Per-invoice and per-customer Stripe bookkeeping (billing.adapters.dynamo.mandates)."""

    def invoice_record(self, tenant_id: str, invoice_id: str) -> dict[str, Any]: ...

    def update_invoice_record(
        self, tenant_id: str, invoice_id: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any]: ...

    def find_invoice(self, tenant_id: str, reference: str) -> str | None: ...

    def open_invoices_due(self, tenant_id: str, on: date) -> list[str]: ...

    def customer_record(self, tenant_id: str, customer_id: str) -> dict[str, Any]: ...

    def save_customer_record(self, tenant_id: str, customer_id: str, record: dict[str, Any]) -> None: ...

    def find_customer(self, tenant_id: str, reference: str) -> str | None: ...


class HeldEvents(Protocol):
    """Stripe events kept aside (billing.adapters.dynamo.stripe_events): those waiting for the payment
    they name, keyed by each id they name, and those an operator must look at."""

    def hold(self, tenant_id: str, refs: Sequence[str], event: Mapping[str, Any]) -> None: ...

    def held(self, tenant_id: str, ref: str) -> list[dict[str, Any]]: ...

    def release(self, tenant_id: str, refs: Sequence[str], event_id: str) -> None: ...

    def set_aside(
        self, tenant_id: str, event: Mapping[str, Any], *, code: str, field: str | None
    ) -> None: ...


class PaymentEmails(Protocol):
    """Emails about automatic payment (finish a payment on the page, automatic payment stopped) and
    about a refund (its credit note)."""

    def send_action_required(
        self, stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount
    ) -> None: ...

    def send_fallback(
        self, stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount, reason: str
    ) -> None: ...

    def send_credit_note(
        self, stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount, number: str, amount: int
    ) -> None: ...


# --------------------------------------------------------------------------------------------------
# Mandate records
# --------------------------------------------------------------------------------------------------


def with_autopay(record: Mapping[str, Any], status: str, now: datetime) -> dict[str, Any]:
    """The invoice's Stripe record marked `active` (a usable mandate will charge it on the due date) or
    `stopped`; written when a mandate is saved, and at issue for an invoice of a customer who has one."""
    return {**record, "autopay": status, "autopay_at": now.isoformat()}


def mandate_to_record(mandate: Mandate) -> dict[str, Any]:
    return {
        "customer_ref": mandate.customer_ref,
        "payment_method_ref": mandate.payment_method_ref,
        "mandate_ref": mandate.mandate_ref,
        "status": mandate.status.value,
        "activated_at": mandate.activated_at.isoformat(),
        "setup_ref": mandate.setup_ref,
    }


def mandate_from_record(record: Mapping[str, Any]) -> Mandate | None:
    raw = record.get("mandate")
    if not isinstance(raw, Mapping):
        return None
    return Mandate(
        customer_ref=str(raw["customer_ref"]),
        payment_method_ref=str(raw["payment_method_ref"]),
        mandate_ref=raw.get("mandate_ref"),
        status=MandateStatus(raw["status"]),
        activated_at=datetime.fromisoformat(str(raw["activated_at"])),
        setup_ref=str(raw["setup_ref"]),
    )


# --------------------------------------------------------------------------------------------------
# Paying on the page
# --------------------------------------------------------------------------------------------------


class NothingToPay(PermanentError):
    """The invoice is paid, credited or has no amount due: the page is shown instead of Checkout."""


class PaymentsDisabled(PermanentError):
    """The tenant does not take card payments (page.payments.enabled is false)."""


class StartPayment:
    def __init__(
        self,
        *,
        invoices: InvoiceLedger,
        pages: InvoicePages,
        records: StripeRecords,
        gateways: GatewayFor,
        clock: Clock,
        pages_base_url: str,
    ) -> None:
        self.invoices = invoices
        self.pages = pages
        self.records = records
        self.gateways = gateways
        self.clock = clock
        self.pages_base_url = pages_base_url.rstrip("/")

    def page_url(self, stored: StoredInvoice) -> str:
        """Where Checkout returns the customer: the invoice's page; for an instalment of a split
        invoice, the parent's page, which shows the plan (an instalment has no page of its own until
        it is reminded)."""
        parent_id = (stored.state.get("dunning") or {}).get("instalment_of")
        parent = self.invoices.get(stored.tenant_id, str(parent_id)) if parent_id else None
        return f"{self.pages_base_url}/i/{(parent or stored).page_token}"

    def _open(self, token: str) -> tuple[StoredInvoice, TenantAccount, CustomerAccount, PaymentSettings]:
        stored = self.invoices.by_page_token(token)
        if stored is None:
            raise InvoiceNotFound("no invoice has this link", field="token")
        tenant, account = self.pages.load(stored)
        settings = PaymentSettings.from_page(tenant.page)
        if not settings.enabled:
            raise PaymentsDisabled("this merchant does not take card payments", field="payments")
        return stored, tenant, account, settings

    def pay(self, token: str) -> str:
        """The Checkout URL for the amount still due (a new session only for a new attempt)."""
        stored, tenant, account, settings = self._open(token)
        invoice = stored.invoice
        amount = stored.amount_due
        if invoice.kind == CREDIT_NOTE or stored.status != "open" or amount <= 0:
            raise NothingToPay("nothing is left to pay on this invoice", field="amount_due")
        now = self.clock.now()
        record = self.records.invoice_record(stored.tenant_id, stored.invoice_id)
        previous = record.get("checkout") or {}
        attempt = _attempt(previous, now, amount=amount, payments_seen=_payments_seen(stored))
        if previous.get("attempt") == attempt:
            return str(previous["url"])
        session = self.gateways(stored.tenant_id).create_checkout_session(
            stored.invoice_id,
            attempt,
            amount,
            invoice.currency,
            account.email,
            _description(tenant, stored),
            self.page_url(stored) + "?paid=1",
            self.page_url(stored),
            settings.checkout_methods(invoice.currency),
            _metadata(stored),
            locale=_locale(invoice.language),
        )
        self._remember(stored, "checkout", attempt, session, now, amount)
        return session.url

    def autopay(self, token: str) -> str:
        """The Checkout URL (setup mode) that saves a reusable method for automatic payment."""
        stored, _tenant, account, settings = self._open(token)
        invoice = stored.invoice
        now = self.clock.now()
        record = self.records.invoice_record(stored.tenant_id, stored.invoice_id)
        previous = record.get("setup") or {}
        customer = self.records.customer_record(stored.tenant_id, account.customer.id)
        mandate = mandate_from_record(customer)
        attempt = _attempt(previous, now, amount=0)
        if previous.get("attempt") == attempt and mandate is not None:
            # A session completed since it was made is used up: a customer coming back to card
            # (after stopping it, or after Autogiro) gets a new one, not the finished one again.
            if mandate.activated_at >= datetime.fromisoformat(str(previous["created_at"])):
                attempt += 1
        if previous.get("attempt") == attempt:
            return str(previous["url"])
        session = self.gateways(stored.tenant_id).create_setup_session(
            stored.invoice_id,
            attempt,
            invoice.currency,
            account.email,
            self.page_url(stored) + "?autopay=1",
            self.page_url(stored),
            settings.mandate_methods(invoice.currency),
            _metadata(stored),
            stripe_customer=mandate.customer_ref if mandate else None,
            customer_id=account.customer.id,
            locale=_locale(invoice.language),
        )
        self._remember(stored, "setup", attempt, session, now, 0)
        return session.url

    def _remember(
        self,
        stored: StoredInvoice,
        kind: str,
        attempt: int,
        session: CheckoutSession,
        now: datetime,
        amount: int,
    ) -> None:
        def change(record: dict[str, Any]) -> dict[str, Any]:
            current = record.get(kind) or {}
            if int(current.get("attempt", 0)) >= attempt:
                return record  # a concurrent click stored this attempt (same key: same session) first
            refs = [*record.get("refs", []), session.session_id]
            return {
                **record,
                kind: {
                    "attempt": attempt,
                    "session_id": session.session_id,
                    "url": session.url,
                    "amount": amount,
                    "created_at": now.isoformat(),
                    "payments_seen": _payments_seen(stored),
                },
                "payments_attempts": max(int(record.get("payments_attempts", 0)), attempt)
                if kind == "checkout"
                else int(record.get("payments_attempts", 0)),
                "refs": refs[-20:],
            }

        self.records.update_invoice_record(stored.tenant_id, stored.invoice_id, change)


def _attempt(previous: Mapping[str, Any], now: datetime, *, amount: int, payments_seen: int = 0) -> int:
    """The attempt number: the previous one while its session can still be used, else the next.

    `payments_seen`: how many payments the invoice had settled; a session made before a later payment
    was completed already, even when that payment was taken back and the same amount is owed again."""
    if not previous:
        return 1
    attempt = int(previous["attempt"])
    created = datetime.fromisoformat(str(previous["created_at"]))
    unused = int(previous.get("payments_seen", 0)) == payments_seen
    if int(previous.get("amount", 0)) == amount and now - created < SESSION_REUSE and unused:
        return attempt
    return attempt + 1


def _payments_seen(stored: StoredInvoice) -> int:
    return len((stored.state.get("payments") or {}).get("settled_refs") or ())


def _description(tenant: TenantAccount, stored: StoredInvoice) -> str:
    name = str(tenant.page.get("name") or tenant.settings.legal_name)
    number = stored.invoice.number or stored.invoice_id
    word = "Faktura" if stored.invoice.language == "sv" else "Invoice"
    return f"{name} {word} {number}"


def _metadata(stored: StoredInvoice) -> dict[str, str]:
    return {METADATA_TENANT_ID: stored.tenant_id, METADATA_CUSTOMER_ID: stored.invoice.customer_id}


def _locale(language: str) -> str | None:
    return language if language in ("sv", "en") else None


# --------------------------------------------------------------------------------------------------
# Processing one verified event
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventOutcome:
    """What one event did, JSON-safe (it is what the idempotency record stores)."""

    outcome: str  # applied | unchanged | ignored | waiting | unusable | unknown_customer | mandate_*
    invoice_id: str | None = None
    customer_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "invoice_id": self.invoice_id,
            "customer_id": self.customer_id,
            **self.details,
        }


class MethodChange(Protocol):
    """billing.services.payment_method_change.ChangePaymentMethod, as Stripe's mandate events use it."""

    def previous_method(self, tenant_id: str, customer_id: str, new: str) -> str: ...

    def started(self, stored: StoredInvoice, new: str, previous: str, ref: str) -> None: ...

    def confirm_pending(self, stored: StoredInvoice) -> int: ...


class ProcessStripeEvent:
    def __init__(
        self,
        *,
        settle: ApplyPaymentEvent,
        records: StripeRecords,
        invoices: InvoiceLedger,
        pages: InvoicePages,
        emails: PaymentEmails,
        audit: AuditTrail,
        clock: Clock,
        held: HeldEvents,
        method_change: MethodChange | None = None,
    ) -> None:
        self.settle = settle
        self.records = records
        self.invoices = invoices
        self.pages = pages
        self.emails = emails
        self.audit = audit
        self.clock = clock
        self.held = held
        # Ends an Autogiro mandate in force and confirms the change once
        # (billing.services.payment_method_change)
        self.method_change = method_change

    def __call__(self, tenant_id: str, event: Mapping[str, Any]) -> EventOutcome:
        """Process one verified event. An event that cannot be applied (another currency, more than its
        payment, not what its type says) is set aside for an operator and answered `unusable`: retrying
        cannot help. Retryable errors propagate, so the queue delivers the event again."""
        try:
            domain = to_domain(event)
            if isinstance(domain, IgnoredEvent):
                return EventOutcome("ignored", details={"reason": domain.reason})
            if isinstance(domain, MandateActivated | MandateUpdated | MandateDetached):
                return self._mandate(tenant_id, domain)
            return self._payment(tenant_id, domain, event)
        except (PermanentError, PaymentDataError) as err:
            code = getattr(err, "code", None) or "event_unusable"
            self.held.set_aside(tenant_id, event, code=code, field=err.field)
            return EventOutcome("unusable", details={"code": code, "field": err.field})

    # payments, refunds, disputes ------------------------------------------------------------------

    def _payment(self, tenant_id: str, event: DomainPaymentEvent, raw: Mapping[str, Any]) -> EventOutcome:
        invoice_id = self._invoice_of(tenant_id, event)
        stored = self.invoices.get(tenant_id, invoice_id) if invoice_id else None
        waits_for = awaited_payment(payments_of(stored), event) if stored is not None else None
        if stored is None or waits_for is not None:
            return self._hold(tenant_id, event, raw)
        assert invoice_id is not None
        outcome = self._apply(tenant_id, invoice_id, event)
        self._apply_held(tenant_id, _refs_of(event))
        return outcome

    def _apply(self, tenant_id: str, invoice_id: str, event: DomainPaymentEvent) -> EventOutcome:
        if isinstance(event, PaymentSucceeded | PaymentFailed | PaymentProcessing):
            # Before settling, so that the page the settlement re-renders already knows.
            self._note_charge(tenant_id, invoice_id, event)
        applied = self.settle(tenant_id, invoice_id, event, "stripe")
        credit_notes = self._reconcile_credit_notes(tenant_id, invoice_id)
        outcome = applied.outcome
        if outcome is None:
            return EventOutcome("unchanged", invoice_id, details={"credit_notes": credit_notes})
        return EventOutcome(
            "applied",
            invoice_id,
            details={
                "settled": outcome.settled_amount,
                "excess_to_balance": outcome.excess_for_balance,
                "refunded": outcome.credit_note_amount,
                "dispute_opened": outcome.dispute_opened,
                "status": outcome.payments.status.value,
                "credit_notes": credit_notes,
            },
        )

    def _hold(self, tenant_id: str, event: DomainPaymentEvent, raw: Mapping[str, Any]) -> EventOutcome:
        """Keep an event whose invoice or payment has not arrived, under every id it names, then look
        again: the payment may have been settled between our look and the hold (its own processing
        applies what is held only after it is stored, so one of the two always sees the other)."""
        refs = _refs_of(event)
        if not refs:
            raise PermanentError("names no payment, charge or invoice", field="data.object")
        self.held.hold(tenant_id, refs, raw)
        self._apply_held(tenant_id, refs)
        return EventOutcome("waiting", details={"waiting_for": refs[0]})

    def _apply_held(self, tenant_id: str, refs: Sequence[str]) -> None:
        """Apply every held event that names one of `refs` and whose payment is now settled; release it
        once applied. Applying is idempotent, so two processes doing this at once are harmless."""
        for ref in refs:
            for raw in self.held.held(tenant_id, ref):
                try:
                    event = to_domain_event(raw)
                except PaymentDataError:
                    continue  # it was mapped once before it was held; never reached
                invoice_id = self._invoice_of(tenant_id, event)
                stored = self.invoices.get(tenant_id, invoice_id) if invoice_id else None
                if stored is None or awaited_payment(payments_of(stored), event) is not None:
                    continue
                try:
                    self._apply(tenant_id, stored.invoice_id, event)
                except (PermanentError, PaymentDataError) as err:
                    code = getattr(err, "code", None) or "event_unusable"
                    self.held.set_aside(tenant_id, raw, code=code, field=err.field)
                self.held.release(tenant_id, _refs_of(event), event.event_id)

    def _invoice_of(self, tenant_id: str, event: DomainPaymentEvent) -> str | None:
        invoice_id: str | None = getattr(event, "invoice_id", None)
        if invoice_id:
            return invoice_id
        for ref in (getattr(event, "payment_ref", None), getattr(event, "charge_ref", None)):
            if ref:
                found = self.records.find_invoice(tenant_id, ref)
                if found:
                    return found
        return None

    def _note_charge(
        self, tenant_id: str, invoice_id: str, event: PaymentSucceeded | PaymentFailed | PaymentProcessing
    ) -> None:
        # The collector waits for the outcome of a processing debit; the webhook tells it.
        def change(record: dict[str, Any]) -> dict[str, Any]:
            charge = record.get("charge")
            if not charge or charge.get("payment_ref") != event.payment_ref:
                return record
            if isinstance(event, PaymentSucceeded):
                status = "settled"
            elif (
                isinstance(event, PaymentFailed)
                and charge.get("status") == CollectorAction.AWAIT_WEBHOOK.value
            ):
                status = "failed"
            else:
                return record
            return {**record, "charge": {**charge, "status": status}}

        self.records.update_invoice_record(tenant_id, invoice_id, change)

    def _reconcile_credit_notes(self, tenant_id: str, invoice_id: str) -> int:
        """Issue credit notes for whatever the payment aggregate has refunded and no note covers yet,
        then email each note not yet emailed.

        Derived from the aggregate's cumulative refunds rather than from the event, so a crash between
        settling a refund and recording its note is repaired by the next delivery of any event; a note
        is stored with `emailed: false` and its email is claimed before it is sent, so a failure after
        recording it is finished by that delivery too, and two deliveries cannot both send it."""
        stored = self.invoices.get(tenant_id, invoice_id)
        if stored is None or not stored.state.get("payments"):
            return 0
        refunded = InvoicePayments.from_record(stored.state["payments"]).refunded_total
        record = self.records.invoice_record(tenant_id, invoice_id)
        missing = refunded - int(record.get("credited_total", 0))
        now = self.clock.now()
        if missing > 0:
            record = self._record_credit_note(stored, refunded, now)
        for note in record.get("credit_notes", []):
            if note.get("emailed") is False or _stale_claim(note, now):
                self._email_credit_note(stored, str(note["number"]), now)
        return len(record.get("credit_notes", []))

    def _record_credit_note(self, stored: StoredInvoice, refunded: int, now: datetime) -> dict[str, Any]:
        tenant_id, invoice_id = stored.tenant_id, stored.invoice_id
        invoice = stored.invoice
        added: list[dict[str, Any]] = []  # the note this call wrote (the last attempt's, on a retry)

        def change(current: dict[str, Any]) -> dict[str, Any]:
            added.clear()
            notes = list(current.get("credit_notes", []))
            credited = int(current.get("credited_total", 0))
            delta = refunded - credited
            if delta <= 0:
                return current
            number = f"{invoice.number or invoice.invoice_id}-K{len(notes) + 1}"
            note: dict[str, Any] = {
                "number": number,
                "amount": delta,
                "issued_at": now.isoformat(),
                "emailed": False,
            }
            if credited == 0 and delta >= invoice.total and invoice.kind != CREDIT_NOTE:
                # A refund of the whole invoice: the formal credit note crediting every line.
                document = credit_note(invoice, issue_date=now.date(), reason="refund")
                note["document"] = document.to_dict()
            notes.append(note)
            added.append(note)
            return {**current, "credit_notes": notes, "credited_total": credited + delta}

        updated = self.records.update_invoice_record(tenant_id, invoice_id, change)
        if added:
            note = added[0]
            self.audit.append(
                tenant_id,
                invoice_id,
                AuditEvent(
                    "credit_note_issued", "stripe", now, {"amount": note["amount"], "number": note["number"]}
                ),
            )
        return updated

    def _email_credit_note(self, stored: StoredInvoice, number: str, now: datetime) -> None:
        """Claim the note's email, re-render the page that lists it, send it, mark it sent."""
        tenant_id, invoice_id = stored.tenant_id, stored.invoice_id
        claimed: list[dict[str, Any]] = []

        def mark(value: object, *, claim: bool) -> Callable[[dict[str, Any]], dict[str, Any]]:
            def change(current: dict[str, Any]) -> dict[str, Any]:
                claimed.clear()
                notes = []
                for note in current.get("credit_notes", []):
                    if note.get("number") == number and (
                        not claim or note.get("emailed") is False or _stale_claim(note, now)
                    ):
                        note = {**note, "emailed": value}
                        claimed.append(note)
                    notes.append(note)
                return {**current, "credit_notes": notes}

            return change

        self.records.update_invoice_record(
            tenant_id, invoice_id, mark(f"sending:{now.isoformat()}", claim=True)
        )
        if not claimed:
            return  # another delivery holds the claim or has sent it
        note = claimed[0]
        try:
            fresh = self.invoices.get(tenant_id, invoice_id) or stored
            tenant, account = self.pages.load(fresh)
            self.pages.publish(fresh, tenant, account)
            self.emails.send_credit_note(fresh, tenant, account, number, int(note["amount"]))
        except BaseException:
            self.records.update_invoice_record(tenant_id, invoice_id, mark(False, claim=False))
            raise
        self.records.update_invoice_record(tenant_id, invoice_id, mark(True, claim=False))

    # mandates -------------------------------------------------------------------------------------

    def _mandate(
        self, tenant_id: str, event: MandateActivated | MandateUpdated | MandateDetached
    ) -> EventOutcome:
        customer_id: str | None
        if isinstance(event, MandateActivated):
            customer_id = event.customer_id or self.records.find_customer(tenant_id, event.customer_ref)
        elif isinstance(event, MandateUpdated):
            customer_id = self.records.find_customer(tenant_id, event.mandate_ref)
        else:
            customer_id = self.records.find_customer(tenant_id, event.payment_method_ref)
        if customer_id is None:
            return EventOutcome("unknown_customer")
        record = self.records.customer_record(tenant_id, customer_id)
        outcome = apply_mandate_event(mandate_from_record(record), event)
        if not outcome.changed or outcome.mandate is None:
            if isinstance(event, MandateActivated):
                self._confirm_change(tenant_id, customer_id, event, None)  # a failed send goes now
            return EventOutcome("unchanged", customer_id=customer_id)
        previous = (
            self.method_change.previous_method(tenant_id, customer_id, "card")
            if self.method_change is not None and isinstance(event, MandateActivated)
            else None
        )
        fallback = outcome.fallback.value if outcome.fallback else None
        if isinstance(event, MandateActivated):
            fallback = None
        self.records.save_customer_record(
            tenant_id,
            customer_id,
            {**record, "mandate": mandate_to_record(outcome.mandate), "fallback": fallback},
        )
        now = self.clock.now()
        if isinstance(event, MandateActivated):
            # Every open invoice of the customer will now be taken on its due date; the pages say so.
            for invoice_id in self._open_invoices_of(tenant_id, customer_id, also=event.invoice_id):
                self._mark_autopay(tenant_id, invoice_id, "active", now)
            self._confirm_change(tenant_id, customer_id, event, previous)
        if outcome.fallback is not None:
            self._fall_back_open_invoices(tenant_id, customer_id, outcome.fallback, now)
        return EventOutcome(
            "mandate_" + outcome.mandate.status.value,
            customer_id=customer_id,
            details={"fallback": fallback},
        )

    def _confirm_change(
        self, tenant_id: str, customer_id: str, event: MandateActivated, previous: str | None
    ) -> None:
        """The card mandate took over (from Autogiro, or from paying by hand): recorded and confirmed
        on the invoice it was set up for (or the customer's first open one), once."""
        if self.method_change is None:
            return
        invoice_id = event.invoice_id or next(iter(self._open_invoices_of(tenant_id, customer_id)), None)
        stored = self.invoices.get(tenant_id, invoice_id) if invoice_id else None
        if stored is None or stored.invoice.customer_id != customer_id:
            return
        if previous is None:
            self.method_change.confirm_pending(stored)
        else:
            self.method_change.started(stored, "card", previous, event.mandate_ref or event.setup_ref)
            if previous != "manual":
                self.pages.refresh(tenant_id, stored.invoice_id)  # the ended method leaves the page

    def _open_invoices_of(self, tenant_id: str, customer_id: str, also: str | None = None) -> list[str]:
        found = [] if also is None else [also]
        for invoice_id in self.records.open_invoices_due(tenant_id, date.max):
            if invoice_id in found:
                continue
            stored = self.invoices.get(tenant_id, invoice_id)
            if stored is not None and stored.invoice.customer_id == customer_id:
                found.append(invoice_id)
        return found

    def _mark_autopay(self, tenant_id: str, invoice_id: str, status: str, now: datetime) -> None:
        stored = self.invoices.get(tenant_id, invoice_id)
        if stored is None:
            return

        def change(record: dict[str, Any]) -> dict[str, Any]:
            if (record.get("charge") or {}).get("status") in _DONE:
                # The collector already had its go at this invoice (and may have handed it back to the
                # customer): it stays as it is; the new method serves the next invoices.
                return record
            return with_autopay(record, status, now)

        self.records.update_invoice_record(tenant_id, invoice_id, change)
        self.audit.append(tenant_id, invoice_id, AuditEvent("autopay_" + status, "stripe", now))
        self.pages.refresh(tenant_id, invoice_id)

    def _fall_back_open_invoices(
        self, tenant_id: str, customer_id: str, reason: FallbackReason, now: datetime
    ) -> None:
        """Automatic payment stopped: every open invoice of the customer becomes an ordinary one again,
        its page says so, and the customer gets one email saying why."""
        emailed = False
        for invoice_id in self._open_invoices_of(tenant_id, customer_id):
            self.records.update_invoice_record(
                tenant_id, invoice_id, lambda r: {**r, "autopay": "stopped", "fallback": reason.value}
            )
            self.audit.append(
                tenant_id, invoice_id, AuditEvent("autopay_stopped", "stripe", now, {"reason": reason.value})
            )
            refreshed = self.pages.refresh(tenant_id, invoice_id)
            if not emailed:
                tenant, account = self.pages.load(refreshed)
                self.emails.send_fallback(refreshed, tenant, account, reason.value)
                emailed = True


def _stale_claim(note: Mapping[str, Any], now: datetime) -> bool:
    """A credit note's email claimed more than 15 minutes ago by a delivery that died before sending."""
    emailed = note.get("emailed")
    if not isinstance(emailed, str) or not emailed.startswith("sending:"):
        return False
    return datetime.fromisoformat(emailed.removeprefix("sending:")) < now - timedelta(minutes=15)


def _refs_of(event: DomainPaymentEvent) -> list[str]:
    """The ids an event names that a later event can bring to light: its payment, its charge, and
    the invoice our metadata names."""
    refs = (
        getattr(event, "payment_ref", None),
        getattr(event, "charge_ref", None),
        getattr(event, "invoice_id", None),
    )
    return list(dict.fromkeys(ref for ref in refs if ref))


def to_domain(event: Mapping[str, Any]) -> DomainPaymentEvent:
    try:
        return to_domain_event(event)
    except PaymentDataError as err:
        raise PermanentError(err.reason, field=err.field, code="event_unusable") from None


# --------------------------------------------------------------------------------------------------
# The daily collector
# --------------------------------------------------------------------------------------------------


@dataclass
class CollectorSummary:
    considered: int = 0
    charged: int = 0
    settled: int = 0
    await_webhook: int = 0
    ask_customer: int = 0
    retry: int = 0
    fall_back: int = 0
    skipped: int = 0
    failed: int = 0
    # "<invoice>: <error>" per invoice that failed; the others were still collected.
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if k != "failures"}


_DONE = {
    CollectorAction.SETTLED.value,
    CollectorAction.AWAIT_WEBHOOK.value,
    CollectorAction.ASK_CUSTOMER.value,
    CollectorAction.FALL_BACK.value,
    "settled",
}


class CollectDuePayments:
    def __init__(
        self,
        *,
        invoices: InvoiceLedger,
        pages: InvoicePages,
        records: StripeRecords,
        gateways: GatewayFor,
        emails: PaymentEmails,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self.invoices = invoices
        self.pages = pages
        self.records = records
        self.gateways = gateways
        self.emails = emails
        self.audit = audit
        self.clock = clock

    def __call__(self, tenant_id: str, today: date) -> CollectorSummary:
        summary = CollectorSummary()
        for invoice_id in self.records.open_invoices_due(tenant_id, today):
            summary.considered += 1
            stored = self.invoices.get(tenant_id, invoice_id)
            if stored is None or stored.status != "open" or stored.amount_due <= 0:
                summary.skipped += 1
                continue
            try:
                action = self._collect(stored, today)
            except Exception as exc:
                summary.failed += 1
                summary.failures.append(failure_note(invoice_id, exc))
                continue
            if action is None:
                summary.skipped += 1
                continue
            summary.charged += 1
            setattr(summary, action.value, getattr(summary, action.value) + 1)
        return summary

    def _collect(self, stored: StoredInvoice, today: date) -> CollectorAction | None:
        tenant_id, invoice_id = stored.tenant_id, stored.invoice_id
        customer_id = stored.invoice.customer_id
        if (stored.state.get("autogiro") or {}).get("active"):
            return None  # Autogiro debits this invoice (billing.services.autopay): one scheme, one charge
        mandate = mandate_from_record(self.records.customer_record(tenant_id, customer_id))
        if mandate is None or not mandate.usable:
            return None
        record = self.records.invoice_record(tenant_id, invoice_id)
        charge = record.get("charge") or {}
        if charge.get("status") in _DONE:
            return None
        tenant, account = self.pages.load(stored)
        schedule = PaymentSettings.from_page(tenant.page).retry_days
        attempt = int(charge.get("next_attempt", 1))
        due = stored.invoice.due_date
        if attempt > len(schedule) or today < due + timedelta(days=schedule[attempt - 1]):
            return None
        result = self.gateways(tenant_id).charge_off_session(
            invoice_id,
            attempt,
            stored.amount_due,
            stored.invoice.currency,
            mandate.customer_ref,
            mandate.payment_method_ref,
            _metadata(stored),
            description=_description(tenant, stored),
            mandate=mandate.mandate_ref,
        )
        decision = decide_after_charge(result, attempt=attempt, due_date=due, retry_schedule=schedule)
        now = self.clock.now()
        entry: dict[str, Any] = {
            "attempt": attempt,
            "status": decision.action.value,
            "payment_ref": result.payment_ref,
            "failure_code": result.failure_code,
            "decline_code": result.decline_code,
            "at": now.isoformat(),
        }
        if decision.next_attempt is not None:
            entry["next_attempt"] = decision.next_attempt
            entry["retry_on"] = decision.retry_on.isoformat() if decision.retry_on else None
        if decision.fallback is not None:
            entry["fallback"] = decision.fallback.value

        def change(current: dict[str, Any]) -> dict[str, Any]:
            updated = {**current, "charge": entry}
            if result.payment_ref:
                updated["refs"] = [*current.get("refs", []), result.payment_ref][-20:]
            if decision.fallback is not None:
                updated["autopay"] = "stopped"
                updated["fallback"] = decision.fallback.value
            return updated

        self.records.update_invoice_record(tenant_id, invoice_id, change)
        self.audit.append(
            tenant_id,
            invoice_id,
            AuditEvent(
                "autopay_charge",
                "system",
                now,
                {"attempt": attempt, "action": decision.action.value, "code": result.failure_code},
            ),
        )
        if decision.action is CollectorAction.ASK_CUSTOMER:
            refreshed = self.pages.refresh(tenant_id, invoice_id)
            self.emails.send_action_required(refreshed, tenant, account)
        elif decision.action is CollectorAction.FALL_BACK:
            refreshed = self.pages.refresh(tenant_id, invoice_id)
            self.emails.send_fallback(refreshed, tenant, account, entry["fallback"])
        return decision.action


# --------------------------------------------------------------------------------------------------
# What the invoice page shows of all this (used by the presenter)
# --------------------------------------------------------------------------------------------------


def page_payment_links(
    stored: StoredInvoice, page: Mapping[str, Any], api_base: str
) -> dict[str, str | None]:
    """`pay_url` and `autopay_url` for `PageLinks`: links (GET) that create the Checkout Session and
    redirect to it, so the page needs no form and no script. None when the tenant does not take cards."""
    try:
        settings = PaymentSettings.from_page(page)
    except PermanentError:
        return {"pay_url": None, "autopay_url": None}
    if not settings.enabled:
        return {"pay_url": None, "autopay_url": None}
    base = f"{api_base.rstrip('/')}/v1/pages/{stored.page_token}"
    autopay = settings.offers_autopay(stored.invoice.currency)
    return {"pay_url": f"{base}/pay", "autopay_url": f"{base}/autopay" if autopay else None}


def page_credit_notes(stored: StoredInvoice) -> dict[str, Any]:
    """`credit_notes` for `InvoiceState`: every refund's credit note, from the invoice's Stripe record."""
    notes = (stored.state.get("stripe") or {}).get("credit_notes") or []
    if not notes:
        return {}
    return {
        "credit_notes": tuple(
            CreditNoteRef(
                number=str(note["number"]),
                amount=int(note["amount"]),
                issued_on=stockholm_date(datetime.fromisoformat(str(note["issued_at"]))),
            )
            for note in notes
        )
    }


def page_autopay_state(stored: StoredInvoice, today: date) -> dict[str, Any]:
    """`autopay_active` and `debit_date` for `InvoiceState`, from the invoice's Stripe record."""
    record = stored.state.get("stripe") or {}
    charge = record.get("charge") or {}
    # Once a charge needs the customer (or failed for good), the page asks them to pay themselves.
    waiting_for_customer = charge.get("status") in (CollectorAction.ASK_CUSTOMER.value, "failed")
    active = record.get("autopay") == "active" and not waiting_for_customer
    due = stored.invoice.due_date
    debit = due if active and stored.status == "open" and due >= today else None
    return {"autopay_active": active, "debit_date": debit}
