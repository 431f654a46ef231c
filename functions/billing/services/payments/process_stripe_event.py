"""One verified Stripe event, carried out once: payments, mandates, refunds, disputes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from billing.domain.credit import credit_note
from billing.domain.invoice import CREDIT_NOTE
from billing.domain.merchant_events import EventDraft, card_mandate_draft, customer_stream
from billing.domain.outbox import EFFECT_AUTOPAY, EFFECT_MERCHANT
from billing.domain.payments import (
    CollectorAction,
    DomainPaymentEvent,
    IgnoredEvent,
    InvoicePayments,
    MandateActivated,
    MandateDetached,
    MandateOutcome,
    MandateUpdated,
    PaymentDataError,
    PaymentFailed,
    PaymentProcessing,
    PaymentSucceeded,
    apply_mandate_event,
    awaited_payment,
)
from billing.domain.payments.invoice_record import ACTIVE, STOPPED, CreditNoteEntry, StripeInvoiceRecord
from billing.services.errors import PermanentError
from billing.services.invoice_pages import InvoicePages
from billing.services.outbox import DriveOutbox
from billing.services.payments.follow_mandate import MandateFollowUp
from billing.services.payments.mandates import mandate_from_record, mandate_to_record
from billing.services.payments.ports import (
    HeldEvents,
    InvoiceRecordChange,
    MethodChange,
    PaymentEmails,
    StripeEventReader,
    StripeRecords,
)
from billing.services.ports import (
    AuditEvent,
    AuditTrail,
    Clock,
    StoredInvoice,
    StoredInvoices,
)
from billing.services.settlement import ApplyPaymentEvent, payments_of

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


@dataclass(kw_only=True, eq=False)
class ProcessStripeEvent:
    settle: ApplyPaymentEvent
    records: StripeRecords
    invoices: StoredInvoices
    pages: InvoicePages
    emails: PaymentEmails
    audit: AuditTrail
    clock: Clock
    held: HeldEvents
    read: StripeEventReader
    # Drives what follows a mandate's change right after its commit (billing.services.outbox)
    effects: DriveOutbox
    # Tells which automatic method a new card mandate takes over from, for its confirmation
    # (billing.services.payment_method_change); without it no change of method is confirmed.
    method_change: MethodChange | None = None

    def _read(self, event: Mapping[str, Any]) -> DomainPaymentEvent:
        try:
            return self.read(event)
        except PaymentDataError as err:
            raise PermanentError(err.reason, field=err.field, code="event_unusable") from None

    def __call__(self, tenant_id: str, event: Mapping[str, Any]) -> EventOutcome:
        """Process one verified event. An event that cannot be applied (another currency, more than its
        payment, not what its type says) is set aside for an operator and answered `unusable`: retrying
        cannot help. Retryable errors propagate, so the queue delivers the event again."""
        try:
            domain = self._read(event)
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
                    event = self.read(raw)
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
        def change(record: StripeInvoiceRecord) -> StripeInvoiceRecord:
            charge = record.charge
            if charge is None or charge.payment_ref != event.payment_ref:
                return record
            if isinstance(event, PaymentSucceeded):
                status = "settled"
            elif isinstance(event, PaymentFailed) and charge.status == CollectorAction.AWAIT_WEBHOOK.value:
                status = "failed"
            else:
                return record
            return replace(record, charge=replace(charge, status=status))

        self.records.update_invoice_record(tenant_id, invoice_id, change)

    def _reconcile_credit_notes(self, tenant_id: str, invoice_id: str) -> int:
        """Issue credit notes for whatever the payment aggregate has refunded and no note covers yet,
        then email each note not yet emailed.

        Derived from the aggregate's cumulative refunds rather than from the event, so a crash between
        settling a refund and recording its note is repaired by the next delivery of any event; a note
        is stored not emailed and its email is claimed before it is sent, so a failure after recording
        it is finished by that delivery too, and two deliveries cannot both send it."""
        stored = self.invoices.get(tenant_id, invoice_id)
        if stored is None or not stored.state.get("payments"):
            return 0
        refunded = InvoicePayments.from_record(stored.state["payments"]).refunded_total
        record = self.records.invoice_record(tenant_id, invoice_id)
        now = self.clock.now()
        if refunded > record.credited_total:
            record = self._record_credit_note(stored, refunded, now)
        for note in record.credit_notes:
            if _to_send(note, now):
                self._email_credit_note(stored, note.number, now)
        return len(record.credit_notes)

    def _record_credit_note(self, stored: StoredInvoice, refunded: int, now: datetime) -> StripeInvoiceRecord:
        tenant_id, invoice_id = stored.tenant_id, stored.invoice_id
        invoice = stored.invoice
        added: list[CreditNoteEntry] = []  # the note this call wrote (the last attempt's, on a retry)

        def change(current: StripeInvoiceRecord) -> StripeInvoiceRecord:
            added.clear()
            credited = current.credited_total
            delta = refunded - credited
            if delta <= 0:
                return current
            document = None
            if credited == 0 and delta >= invoice.total and invoice.kind != CREDIT_NOTE:
                # A refund of the whole invoice: the formal credit note crediting every line.
                document = credit_note(invoice, issue_date=now.date(), reason="refund").to_dict()
            note = CreditNoteEntry(
                number=f"{invoice.number or invoice.invoice_id}-K{len(current.credit_notes) + 1}",
                amount=delta,
                issued_at=now,
                document=document,
            )
            added.append(note)
            return replace(
                current, credit_notes=(*current.credit_notes, note), credited_total=credited + delta
            )

        updated = self.records.update_invoice_record(tenant_id, invoice_id, change)
        if added:
            note = added[0]
            self.audit.append(
                tenant_id,
                invoice_id,
                AuditEvent(
                    "credit_note_issued", "stripe", now, {"amount": note.amount, "number": note.number}
                ),
            )
        return updated

    def _email_credit_note(self, stored: StoredInvoice, number: str, now: datetime) -> None:
        """Claim the note's email, re-render the page that lists it, send it, mark it sent."""
        tenant_id, invoice_id = stored.tenant_id, stored.invoice_id
        claimed: list[CreditNoteEntry] = []

        def mark(emailed: bool, sending_since: datetime | None, *, claim: bool) -> InvoiceRecordChange:
            def change(current: StripeInvoiceRecord) -> StripeInvoiceRecord:
                claimed.clear()
                notes = []
                for note in current.credit_notes:
                    if note.number == number and (not claim or _to_send(note, now)):
                        note = replace(note, emailed=emailed, sending_since=sending_since)
                        claimed.append(note)
                    notes.append(note)
                return replace(current, credit_notes=tuple(notes))

            return change

        self.records.update_invoice_record(tenant_id, invoice_id, mark(False, now, claim=True))
        if not claimed:
            return  # another delivery holds the claim or has sent it
        note = claimed[0]
        try:
            fresh = self.invoices.get(tenant_id, invoice_id) or stored
            tenant, account = self.pages.load(fresh)
            self.pages.publish(fresh, tenant, account)
            self.emails.send_credit_note(fresh, tenant, account, number, note.amount)
        except BaseException:
            self.records.update_invoice_record(tenant_id, invoice_id, mark(False, None, claim=False))
            raise
        self.records.update_invoice_record(tenant_id, invoice_id, mark(True, None, claim=False))

    # mandates -------------------------------------------------------------------------------------

    def _mandate(
        self, tenant_id: str, event: MandateActivated | MandateUpdated | MandateDetached
    ) -> EventOutcome:
        """Fold the event into the customer's mandate. What follows (the open invoices charged on
        their due dates or handed back, the change of method confirmed) is the outbox event's `autopay`
        effect (billing.services.payments.follow_mandate), driven here right after the commit; a
        redelivery finds the record changed and drives whatever a failure left pending."""
        customer_id: str | None
        if isinstance(event, MandateActivated):
            customer_id = event.customer_id or self.records.find_customer(tenant_id, event.customer_ref)
        elif isinstance(event, MandateUpdated):
            customer_id = self.records.find_customer(tenant_id, event.mandate_ref)
        else:
            customer_id = self.records.find_customer(tenant_id, event.payment_method_ref)
        if customer_id is None:
            return EventOutcome("unknown_customer")
        now = self.clock.now()
        # Which method a new card takes over from is read before the change, once: the follow-up
        # ends that method, and a repeat must confirm the same change.
        previous = (
            self.method_change.previous_method(tenant_id, customer_id, "card")
            if self.method_change is not None and isinstance(event, MandateActivated)
            else None
        )
        applied: list[MandateOutcome] = []  # what `change` made of the record it was last given

        def change(record: dict[str, Any]) -> tuple[dict[str, Any], EventDraft | None] | None:
            outcome = apply_mandate_event(mandate_from_record(record), event)
            applied[:] = [outcome]
            if not outcome.changed or outcome.mandate is None:
                return None
            fallback = outcome.fallback.value if outcome.fallback else None
            if isinstance(event, MandateActivated):
                fallback = None
            # What the merchant hears (mandate.approved / mandate.cancelled) is written with the record,
            # and with it what the open invoices must do: a redelivered event finds the record changed
            # already and writes nothing again.
            draft = card_mandate_draft(
                customer_id,
                mandate_from_record(record),
                outcome.mandate,
                invoice_id=event.invoice_id if isinstance(event, MandateActivated) else None,
                by="stripe",
                reason="detached" if isinstance(event, MandateDetached) else None,
                now=now,
            )
            saved = {**record, "mandate": mandate_to_record(outcome.mandate), "fallback": fallback}
            return saved, _with_follow_up(draft, event, outcome, previous)

        saved = self.records.change_customer_record(tenant_id, customer_id, change)
        self.effects.stream(tenant_id, customer_stream(customer_id))
        (outcome,) = applied
        if saved is None or outcome.mandate is None:
            return EventOutcome("unchanged", customer_id=customer_id)
        return EventOutcome(
            "mandate_" + outcome.mandate.status.value,
            customer_id=customer_id,
            details={"fallback": saved[0]["fallback"]},
        )


def _with_follow_up(
    draft: EventDraft | None,
    event: MandateActivated | MandateUpdated | MandateDetached,
    outcome: MandateOutcome,
    previous: str | None,
) -> EventDraft | None:
    """The merchant's event, asking also that the customer's open invoices follow the mandate: charged
    from now on when a new card was approved, handed back when automatic payment stopped."""
    if draft is None:
        return None  # a repeat of what the customer already had: nothing new to follow
    customer_id = str(draft.payload["customer_id"])
    if isinstance(event, MandateActivated) and draft.event_type == "mandate.approved":
        follow = MandateFollowUp(
            customer_id,
            event.invoice_id,
            ACTIVE,
            previous=previous,
            change_ref=event.mandate_ref or event.setup_ref,
        )
    elif outcome.fallback is not None:
        follow = MandateFollowUp(customer_id, None, STOPPED, fallback=outcome.fallback)
    else:
        return draft
    return replace(draft, effects=(EFFECT_AUTOPAY, EFFECT_MERCHANT), context=follow.context())


def _to_send(note: CreditNoteEntry, now: datetime) -> bool:
    """A credit note whose email is still to go: never claimed, or claimed more than 15 minutes ago by a
    delivery that died before sending."""
    if note.emailed:
        return False
    return note.sending_since is None or note.sending_since < now - timedelta(minutes=15)


def _refs_of(event: DomainPaymentEvent) -> list[str]:
    """The ids an event names that a later event can bring to light: its payment, its charge, and
    the invoice our metadata names."""
    refs = (
        getattr(event, "payment_ref", None),
        getattr(event, "charge_ref", None),
        getattr(event, "invoice_id", None),
    )
    return list(dict.fromkeys(ref for ref in refs if ref))
