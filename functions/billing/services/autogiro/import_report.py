"""A report Bankgirot sent: mandate answers, settled debits as payments, failed debits for reminders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from billing.domain.autogiro.bankdays import stockholm_date
from billing.domain.autogiro.invoice_state import StoredReason, autogiro_invoice_state
from billing.domain.autogiro.outcomes import (
    MandateOutcome,
    MandateOutcomeKind,
    PaymentOutcome,
    PaymentOutcomeKind,
    Reason,
    outcomes_of,
)
from billing.domain.autogiro.parser import AutogiroParseError, parse_file
from billing.domain.autogiro.records import BankAccount, Direction
from billing.domain.merchant_events import autogiro_mandate_draft
from billing.domain.payments import PaymentReversed, PaymentSucceeded
from billing.services.autogiro.model import (
    INBOX_PREFIX,
    STOCKHOLM,
    AutogiroNotOffered,
    autogiro_settings,
)
from billing.services.autogiro.ports import (
    AutogiroFiles,
    AutogiroInvoices,
    Mandate,
    MandateStatus,
    MandateStore,
)
from billing.services.bank_inbox import read_bank_file, tenant_of_inbox_key
from billing.services.errors import PermanentError
from billing.services.invoice_pages import InvoicePages
from billing.services.ports import (
    AuditEvent,
    AuditTrail,
    Clock,
    StoredInvoice,
    StoredInvoices,
    TenantAccount,
)
from billing.services.settlement import ApplyPaymentEvent

# --------------------------------------------------------------------------------------------- import


@dataclass(frozen=True)
class ImportResult:
    tenant_id: str
    key: str
    kind: str
    already_imported: bool = False
    mandates: dict[str, int] = field(default_factory=dict)  # outcome kind -> count
    payments: dict[str, int] = field(default_factory=dict)
    unmatched: int = 0


@dataclass(kw_only=True, eq=False)
class ImportReport:
    tenants: Callable[[str], TenantAccount]
    invoices: StoredInvoices
    autogiro_invoices: AutogiroInvoices
    mandates: MandateStore
    pages: InvoicePages
    settle: ApplyPaymentEvent
    files: AutogiroFiles
    audit: AuditTrail
    clock: Clock

    def __call__(self, key: str) -> ImportResult:
        tenant_id = tenant_of_inbox_key(key, INBOX_PREFIX)
        conf = autogiro_settings(self.tenants(tenant_id))
        if conf is None:
            raise AutogiroNotOffered(f"tenant {tenant_id} has no Autogiro agreement", field="tenant_id")
        digest, parsed = read_bank_file(self.files, key, parse_file, AutogiroParseError)
        kind = str(getattr(parsed, "kind", type(parsed).__name__))
        for payee in _payees(parsed):
            if payee.lstrip("0") != conf.payee.bankgiro.lstrip("0"):
                # Another agreement's report (a mix-up in the inbox): never applied to this tenant.
                raise PermanentError(
                    f"the report is for bankgiro {payee.lstrip('0')}, this tenant's is {conf.payee.bankgiro}",
                    field="payee_bankgiro",
                )
        if self.mandates.import_done(tenant_id, digest):
            return ImportResult(tenant_id, key, kind, already_imported=True)
        outcomes = outcomes_of(parsed)
        mandate_counts: dict[str, int] = {}
        payment_counts: dict[str, int] = {}
        unmatched = 0
        now = self.clock.now()
        for mandate_outcome in outcomes.mandates:
            self._mandate(tenant_id, mandate_outcome, now)
            _count(mandate_counts, mandate_outcome.kind.value)
        for index, payment in enumerate(outcomes.payments):
            if payment.direction is not Direction.INCOMING:
                _count(payment_counts, f"{payment.kind.value}_outgoing")
                continue
            if self._payment(tenant_id, digest, index, payment, now):
                _count(payment_counts, payment.kind.value)
            else:
                unmatched += 1
        summary = {"key": key, "kind": kind, "mandates": mandate_counts, "payments": payment_counts}
        self.mandates.mark_imported(tenant_id, digest, {**summary, "unmatched": unmatched})
        return ImportResult(tenant_id, key, kind, False, mandate_counts, payment_counts, unmatched)

    def _mandate(self, tenant_id: str, outcome: MandateOutcome, now: datetime) -> None:
        payer_number, kind, reason = outcome.payer_number, outcome.kind, outcome.reason
        mandate = self.mandates.by_payer(tenant_id, payer_number)
        if mandate is None:
            return
        status = {
            MandateOutcomeKind.APPROVED: MandateStatus.APPROVED,
            MandateOutcomeKind.REJECTED: MandateStatus.REJECTED,
            MandateOutcomeKind.CANCELLED: MandateStatus.CANCELLED,
        }.get(kind)
        if status is None:
            return  # payer-number changes and failed requests are for an operator (docs/autogiro.md)
        shown_reason = None if status is MandateStatus.APPROVED else reason
        # The merchant's mandate.approved / mandate.cancelled, written with the answer; a report
        # imported again finds the status set already and reports nothing twice.
        event = autogiro_mandate_draft(
            mandate.customer_id,
            payer_number=payer_number,
            invoice_id=mandate.invoice_id,
            before=mandate.status.value,
            after=status.value,
            by="bankgirot",
            reason=reason.code if shown_reason is not None else None,
            now=now,
        )
        mandate = self.mandates.answer(mandate, status, shown_reason, now, event)
        if mandate.invoice_id is None:
            return
        updated = self.autogiro_invoices.update_autogiro(
            tenant_id,
            mandate.invoice_id,
            lambda s: s.with_mandate(status.value, StoredReason.of(shown_reason)),
        )
        self.audit.append(
            tenant_id,
            mandate.invoice_id,
            AuditEvent(
                f"autogiro_mandate_{status.value}",
                "bankgirot",
                now,
                {"payer_number": payer_number, "code": reason.code},
            ),
        )
        self.pages.publish(updated)

    def _find_invoice(self, tenant_id: str, payment: PaymentOutcome) -> StoredInvoice | None:
        if payment.payer_number is None or payment.amount_ore is None:
            return None  # BgMax carries no payer number: not matched here (docs/autogiro.md)
        mandate = self.mandates.by_payer(tenant_id, payment.payer_number)
        if mandate is None:
            return None
        for stored in reversed(self.invoices.history(tenant_id, mandate.customer_id, date.max)):
            sent = autogiro_invoice_state(stored.state).sent
            amount = stored.invoice.amount_due
            ordered = sent.amount if sent is not None and sent.amount is not None else amount
            for candidate in {amount, stored.amount_due, ordered}:
                if payment.matches(
                    payer_number=mandate.payer_number,
                    amount_ore=candidate,
                    reference=stored.invoice.ocr or stored.invoice_id[-16:],
                ):
                    return stored
        return None

    def _payment(
        self, tenant_id: str, digest: str, index: int, payment: PaymentOutcome, now: datetime
    ) -> bool:
        stored = self._find_invoice(tenant_id, payment)
        if stored is None:
            return False
        payment_date = payment.payment_date or stockholm_date(now)
        if payment.kind is PaymentOutcomeKind.SETTLED:
            self.autogiro_invoices.update_autogiro(
                tenant_id,
                stored.invoice_id,
                lambda s: s.settled_by(payment_date, payment.amount_ore),
            )
            event = PaymentSucceeded(
                event_id=f"autogiro:{digest[:32]}:{index}",
                event_type="autogiro.payment.settled",
                occurred_at=_reported_at(payment_date),
                invoice_id=stored.invoice_id,
                # One debit is one payment: a re-imported report (or the same debit in BgMax) is the
                # same payment and settles nothing twice.
                payment_ref=_debit_ref(stored.invoice_id, payment_date),
                amount=payment.amount_ore or 0,
                currency=stored.invoice.currency,
                customer_ref=payment.payer_number,
            )
            self.settle(tenant_id, stored.invoice_id, event, "bankgirot")
            return True
        if payment.kind is PaymentOutcomeKind.REFUNDED and stored.status == "paid":
            # TK77: the payer's bank took a settled debit back. The same payment reference as the
            # settlement, so the payment aggregate reverses exactly that payment, once.
            original = payment.payment_date or payment_date
            self.autogiro_invoices.update_autogiro(
                tenant_id,
                stored.invoice_id,
                lambda s: s.taken_back(original, payment.amount_ore, payment.reason),
            )
            reversal = PaymentReversed(
                event_id=f"autogiro:{digest[:32]}:{index}",
                event_type="autogiro.payment.refunded",
                occurred_at=_reported_at(payment.new_date or payment_date),
                invoice_id=stored.invoice_id,
                payment_ref=_debit_ref(stored.invoice_id, original),
                amount=payment.amount_ore or 0,
                currency=stored.invoice.currency,
                reason=payment.reason.message if payment.reason else None,
            )
            self.settle(tenant_id, stored.invoice_id, reversal, "bankgirot")
            return True
        # A debit cancelled after it was ordered (the payer stopped it at their bank, the mandate was
        # removed, the agreement ended) will not be made: for an invoice still open that is a failed
        # debit, so the reminder flow takes over. Our own cancellations of a debit for an invoice paid
        # another way find it paid, and are only written down.
        cancelled_debit = (
            payment.kind is PaymentOutcomeKind.CANCELLED
            and stored.status == "open"
            and autogiro_invoice_state(stored.state).sent is not None
        )
        if payment.kind in (PaymentOutcomeKind.FAILED, PaymentOutcomeKind.REJECTED) or cancelled_debit:
            reason = payment.reason
            updated = self.autogiro_invoices.update_autogiro(
                tenant_id,
                stored.invoice_id,
                # The debit date no longer holds: the page must not promise it any more.
                lambda s: s.debit_failed(payment_date, payment.kind.value, reason),
            )
            self.audit.append(
                tenant_id,
                stored.invoice_id,
                AuditEvent(
                    "autogiro_payment_cancelled" if cancelled_debit else "autogiro_payment_failed",
                    "bankgirot",
                    now,
                    {"payment_date": payment_date.isoformat(), "code": reason.code if reason else None},
                ),
            )
            self.pages.publish(updated)
            return True
        self.audit.append(
            tenant_id,
            stored.invoice_id,
            AuditEvent(
                f"autogiro_payment_{payment.kind.value}",
                "bankgirot",
                now,
                {
                    "payment_date": payment_date.isoformat(),
                    "code": payment.reason.code if payment.reason else None,
                },
            ),
        )
        return True


def _debit_ref(invoice_id: str, payment_date: date) -> str:
    """The payment reference of one Autogiro debit: a settlement and its later reversal (TK77) name the
    same payment, so the aggregate applies each once."""
    return f"autogiro:{invoice_id}:{payment_date.isoformat()}"


def _reported_at(day: date) -> datetime:
    # Bankgirot reports the day, not the moment: noon Swedish time of that day.
    return datetime.combine(day, time(12), tzinfo=STOCKHOLM)


def _payees(parsed: object) -> set[str]:
    """The payee bankgiro numbers a report names (its sections' openings, or BgMax sections)."""
    sections = list(getattr(parsed, "sections", ()) or ())
    holders = [parsed, *sections, *(getattr(section, "opening", None) for section in sections)]
    found = {str(getattr(getattr(h, "opening", None), "payee_bankgiro", "") or "") for h in holders}
    found |= {str(getattr(h, "payee_bankgiro", "") or "") for h in holders}
    return {p for p in found if p.strip("0")}


def _account(mandate: Mandate) -> BankAccount:
    return BankAccount(mandate.clearing or "", mandate.account_number or "")


def _code(reason: Reason | None) -> str | None:
    return reason.code if reason else None


def _count(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


def export_moment(on: date, at: time = time(9)) -> datetime:
    """The moment the scheduled export runs on `on` (09:00 Swedish time), for the CLI's --date."""
    return datetime.combine(on, at, tzinfo=STOCKHOLM)
