"""The daily collector: charges each open invoice due by today off-session, on the retry schedule."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from billing.domain.autogiro.invoice_state import autogiro_invoice_state
from billing.domain.payments import (
    CollectorAction,
    decide_after_charge,
)
from billing.domain.payments.invoice_record import ChargeRecord, StripeInvoiceRecord
from billing.services.errors import failure_note
from billing.services.invoice_pages import InvoicePages
from billing.services.payments.mandates import mandate_from_record
from billing.services.payments.ports import ChargeRequest, GatewayFor, PaymentEmails, StripeRecords
from billing.services.payments.settings import PaymentSettings
from billing.services.payments.start_payment import payment_description, payment_metadata
from billing.services.ports import (
    AuditEvent,
    AuditTrail,
    Clock,
    StoredInvoice,
    StoredInvoices,
)

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


@dataclass(kw_only=True, eq=False)
class CollectDuePayments:
    invoices: StoredInvoices
    pages: InvoicePages
    records: StripeRecords
    gateways: GatewayFor
    emails: PaymentEmails
    audit: AuditTrail
    clock: Clock

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
        if autogiro_invoice_state(stored.state).active:
            return None  # Autogiro debits this invoice (billing.services.autopay): one scheme, one charge
        mandate = mandate_from_record(self.records.customer_record(tenant_id, customer_id))
        if mandate is None or not mandate.usable:
            return None
        last = self.records.invoice_record(tenant_id, invoice_id).charge
        if last is not None and last.done:
            return None
        tenant, account = self.pages.load(stored)
        schedule = PaymentSettings.from_page(tenant.page).retry_days
        attempt = last.next_attempt if last is not None and last.next_attempt is not None else 1
        due = stored.invoice.due_date
        if attempt > len(schedule) or today < due + timedelta(days=schedule[attempt - 1]):
            return None
        charge = ChargeRequest(
            invoice_id=invoice_id,
            attempt=attempt,
            amount=stored.amount_due,
            currency=stored.invoice.currency,
            stripe_customer=mandate.customer_ref,
            payment_method=mandate.payment_method_ref,
            metadata=payment_metadata(stored),
            description=payment_description(tenant, stored),
            mandate=mandate.mandate_ref,
        )
        result = self.gateways(tenant_id).charge_off_session(charge)
        decision = decide_after_charge(result, attempt=attempt, due_date=due, retry_schedule=schedule)
        now = self.clock.now()
        fallback = decision.fallback.value if decision.fallback is not None else None
        entry = ChargeRecord(
            attempt=attempt,
            status=decision.action.value,
            payment_ref=result.payment_ref,
            failure_code=result.failure_code,
            decline_code=result.decline_code,
            at=now,
            next_attempt=decision.next_attempt,
            retry_on=decision.retry_on if decision.next_attempt is not None else None,
            fallback=fallback,
        )

        def change(current: StripeInvoiceRecord) -> StripeInvoiceRecord:
            updated = replace(current, charge=entry)
            if result.payment_ref:
                updated = updated.with_ref(result.payment_ref)
            return updated.stopped(fallback) if fallback is not None else updated

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
            self.emails.send_fallback(refreshed, tenant, account, str(fallback))
        return decision.action
