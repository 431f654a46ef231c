"""The daily request file to Bankgirot (mandates, cancellations, debits) and a customer's cancellation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from billing.domain.autogiro.bankdays import debit_date_for, stockholm_date
from billing.domain.autogiro.invoice_state import AutogiroInvoiceState, StoredReason, autogiro_invoice_state
from billing.domain.autogiro.planning import (
    DueDebit,
    Held,
    MandateCancellation,
    NewMandate,
    plan_request_file,
)
from billing.domain.autogiro.records import BankAccount
from billing.domain.merchant_events import EventDraft, autogiro_mandate_draft
from billing.services.autogiro.model import (
    OUTBOX_PREFIX,
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
from billing.services.errors import PermanentError, failure_note
from billing.services.invoice_pages import InvoicePages
from billing.services.ports import (
    AuditEvent,
    AuditTrail,
    Clock,
    Mailer,
    StoredInvoice,
    TenantAccount,
)

# --------------------------------------------------------------------------------------------- export


@dataclass(frozen=True)
class ExportResult:
    tenant_id: str
    key: str | None  # where the file was written; None when there was nothing to send
    mandates: int = 0
    cancellations: int = 0
    debits: tuple[tuple[str, date], ...] = ()  # (invoice id, debit date) ordered in this file
    announced: tuple[tuple[str, date], ...] = ()  # debit dates decided and told today
    held: tuple[Held, ...] = ()
    failed: tuple[str, ...] = ()  # "<invoice>: <error>" per invoice that failed; the file went on without it


def dataset_name(customer_number: str, moment: datetime) -> str:
    """Bankgirot's dataset name for a file to them (Bankgiro Link): BFEP.IBGLK.K0nnnnnn.Dååmmdd.Tttmmss."""
    local = moment.astimezone(STOCKHOLM)
    return f"BFEP.IBGLK.K0{customer_number[-6:]}.D{local:%y%m%d}.T{local:%H%M%S}"


@dataclass(kw_only=True, eq=False)
class ExportRequestFile:
    tenants: Callable[[str], TenantAccount]
    autogiro_invoices: AutogiroInvoices
    mandates: MandateStore
    pages: InvoicePages
    files: AutogiroFiles
    mailer: Mailer
    audit: AuditTrail
    clock: Clock

    def __call__(self, tenant_id: str, now: datetime | None = None) -> ExportResult:
        now = now or self.clock.now()
        tenant = self.tenants(tenant_id)
        conf = autogiro_settings(tenant)
        if conf is None:
            raise AutogiroNotOffered(f"tenant {tenant_id} has no Autogiro agreement", field="tenant_id")
        today = stockholm_date(now)

        to_send = self.mandates.to_send(tenant_id)
        new_mandates = [
            NewMandate(
                m.payer_number, BankAccount(m.clearing or "", m.account_number or ""), m.identity or ""
            )
            for m in to_send
            if m.status is MandateStatus.PENDING
        ]
        cancellations = [
            MandateCancellation(m.payer_number) for m in to_send if m.status is MandateStatus.CANCEL_PENDING
        ]
        failed: list[str] = []
        debits, announced = self._debits(tenant_id, today, now, failed)
        plan = plan_request_file(
            now=now,
            payee=conf.payee,
            new_mandates=new_mandates,
            cancellations=cancellations,
            debits=debits,
            lookahead_banking_days=conf.lookahead_banking_days,
        )
        if plan.is_empty:
            return ExportResult(
                tenant_id, None, announced=tuple(announced), held=plan.held, failed=tuple(failed)
            )

        key = self._free_key(tenant_id, dataset_name(conf.payee.customer_number, now))
        claimed = [
            d
            for d in plan.debits
            if d.order.payment_date is not None
            and self.mandates.claim_debit(
                tenant_id,
                d.invoice_id,
                d.order.payment_date,
                {"file": key, "amount": d.order.amount_ore, "payer_number": d.order.payer_number},
            )
        ]
        if len(claimed) != len(plan.debits):
            # Another run ordered some of them meanwhile: plan again without those.
            keep = {d.invoice_id for d in claimed}
            plan = plan_request_file(
                now=now,
                payee=conf.payee,
                new_mandates=new_mandates,
                cancellations=cancellations,
                debits=[d for d in debits if d.invoice_id in keep],
                lookahead_banking_days=conf.lookahead_banking_days,
            )
        if plan.is_empty:
            return ExportResult(
                tenant_id, None, announced=tuple(announced), held=plan.held, failed=tuple(failed)
            )
        try:
            self.files.write(key, plan.write())
        except Exception:
            for d in claimed:
                if d.order.payment_date is not None:
                    self.mandates.release_debit(tenant_id, d.invoice_id, d.order.payment_date)
            raise
        sent_payers = {str(getattr(record, "payer_number", "")) for record in plan.mandates}
        for m in to_send:
            if m.payer_number in sent_payers:
                self.mandates.mark_sent(m, today, now)
        ordered: list[tuple[str, date]] = []
        for d in plan.debits:
            payment_date = d.order.payment_date or today
            ordered.append((d.invoice_id, payment_date))
            self.autogiro_invoices.update_autogiro(
                tenant_id,
                d.invoice_id,
                partial(
                    AutogiroInvoiceState.ordered,
                    file=key,
                    payment_date=payment_date,
                    amount=d.order.amount_ore,
                ),
            )
            self.audit.append(
                tenant_id,
                d.invoice_id,
                AuditEvent(
                    "autogiro_debit_ordered",
                    "system",
                    now,
                    {"file": key, "payment_date": payment_date.isoformat(), "amount": d.order.amount_ore},
                ),
            )
        return ExportResult(
            tenant_id,
            key,
            mandates=len([m for m in new_mandates if m.payer_number in sent_payers]),
            cancellations=len([c for c in cancellations if c.payer_number in sent_payers]),
            debits=tuple(ordered),
            announced=tuple(announced),
            held=plan.held,
            failed=tuple(failed),
        )

    def _free_key(self, tenant_id: str, name: str) -> str:
        """The outbox key for a new file: never one already there (two runs in the same second)."""
        key = f"{OUTBOX_PREFIX}{tenant_id}/{name}"
        serial = 1
        while self.files.exists(key):
            serial += 1
            key = f"{OUTBOX_PREFIX}{tenant_id}/{name}.{serial}"
        return key

    def _debits(
        self, tenant_id: str, today: date, now: datetime, failed: list[str]
    ) -> tuple[list[DueDebit], list[tuple[str, date]]]:
        """Debits of open invoices whose customer has an approved mandate; a debit date is decided,
        recorded and told the first time an invoice is seen here. An invoice that fails is noted in
        `failed` and left out of today's file; the others still go (it is tried again tomorrow)."""
        mandates: dict[str, Mandate | None] = {}
        debits: list[DueDebit] = []
        announced: list[tuple[str, date]] = []
        for stored in self.autogiro_invoices.open_invoices(tenant_id):
            try:
                self._debit(stored, mandates, debits, announced, today, now)
            except Exception as exc:
                failed.append(failure_note(stored.invoice_id, exc))
        return debits, announced

    def _debit(
        self,
        stored: StoredInvoice,
        mandates: dict[str, Mandate | None],
        debits: list[DueDebit],
        announced: list[tuple[str, date]],
        today: date,
        now: datetime,
    ) -> None:
        tenant_id = stored.tenant_id
        if stored.invoice.currency.upper() != "SEK" or stored.amount_due <= 0:
            return
        if (stored.state.get("payments") or {}).get("reversed_refs"):
            return  # the payer took a debit of it back: it is paid by hand now (reminders)
        customer_id = stored.invoice.customer_id
        if customer_id not in mandates:
            mandates[customer_id] = self.mandates.get(tenant_id, customer_id)
        mandate = mandates[customer_id]
        state = autogiro_invoice_state(stored.state)
        if mandate is None or mandate.status is not MandateStatus.APPROVED:
            if state.debit_date is not None and state.sent is None:
                self._withdraw(stored, mandate, now)  # the mandate ended after the date was told
            return
        if state.sent is not None:
            return  # in a file already: waits for Bankgirot's report
        if state.failed is not None and not _retry_requested(stored):
            return  # the reminder flow decides whether to debit again
        if state.failed is not None or state.debit_date is None or state.payer_number != mandate.payer_number:
            # First sight of the invoice, or a retry the reminder flow asked for: a debit date
            # with the full notice, told to the customer.
            debit_date = debit_date_for(stored.invoice.due_date, notified_on=today)
            stored = self._announce(stored, mandate, debit_date, today, now)
            announced.append((stored.invoice_id, debit_date))
            state = autogiro_invoice_state(stored.state)
        if state.debit_date is None or state.notified_on is None:
            raise PermanentError("announced without a debit date", field="state.autogiro.debit_date")
        debits.append(
            DueDebit(
                invoice_id=stored.invoice_id,
                payer_number=mandate.payer_number,
                amount_ore=stored.amount_due,
                debit_date=state.debit_date,
                notified_on=state.notified_on,
                reference=stored.invoice.ocr or stored.invoice_id[-16:],
            )
        )

    def _withdraw(self, stored: StoredInvoice, mandate: Mandate | None, now: datetime) -> None:
        status = mandate.status.value if mandate else MandateStatus.CANCELLED.value
        if status == MandateStatus.CANCEL_PENDING.value:
            status = MandateStatus.CANCELLED.value
        reason = StoredReason.of(mandate.reason) if mandate else None
        updated = self.autogiro_invoices.update_autogiro(
            stored.tenant_id, stored.invoice_id, lambda s: s.withdrawn(status, reason)
        )
        self.audit.append(
            stored.tenant_id,
            stored.invoice_id,
            AuditEvent("autogiro_debit_withdrawn", "system", now, {"mandate": status}),
        )
        self.pages.publish(updated)

    def _announce(
        self, stored: StoredInvoice, mandate: Mandate, debit_date: date, today: date, now: datetime
    ) -> StoredInvoice:
        updated = self.autogiro_invoices.update_autogiro(
            stored.tenant_id,
            stored.invoice_id,
            lambda s: s.announced(mandate.payer_number, debit_date, today),
        )
        tenant, account = self.pages.load(updated)
        rendered = self.pages.publish(updated, tenant, account)
        # The invoice email again, now saying the debit date: the notice the payer must get.
        self.mailer.send(
            to=account.email,
            subject=rendered.email_subject,
            text=rendered.email_text,
            html=rendered.email_html,
            reply_to=tenant.page_settings.support_email,
        )
        self.audit.append(
            stored.tenant_id,
            stored.invoice_id,
            AuditEvent(
                "autogiro_debit_announced",
                "system",
                now,
                {"debit_date": debit_date.isoformat(), "payer_number": mandate.payer_number},
            ),
        )
        return updated


@dataclass(kw_only=True, eq=False)
class CancelMandate:
    """An operator ends a customer's Autogiro (the customer asked): TK03 goes in the next file, and
    that export withdraws the debit dates told but not yet ordered."""

    mandates: MandateStore
    audit: AuditTrail
    clock: Clock

    @staticmethod
    def _ended(mandate: Mandate, status: MandateStatus, now: datetime) -> EventDraft | None:
        """mandate.cancelled for the merchant; the actor is the one the invoice's trail names."""
        withdrawn = mandate.status is MandateStatus.PENDING
        return autogiro_mandate_draft(
            mandate.customer_id,
            payer_number=mandate.payer_number,
            invoice_id=mandate.invoice_id,
            before=mandate.status.value,
            after=status.value,
            by="customer" if withdrawn else "operator",
            reason=None,
            now=now,
        )

    def __call__(self, tenant_id: str, customer_id: str) -> Mandate:
        mandate = self.mandates.get(tenant_id, customer_id)
        now = self.clock.now()
        if mandate is not None and mandate.status is MandateStatus.PENDING:
            # Not in any file yet: Bankgirot never saw it, so it is withdrawn here, without a TK03
            # (the customer stopping it, or choosing card instead, before the next export).
            withdrawn = self.mandates.answer(
                mandate,
                MandateStatus.CANCELLED,
                None,
                now,
                self._ended(mandate, MandateStatus.CANCELLED, now),
            )
            if mandate.invoice_id:
                self.audit.append(
                    tenant_id,
                    mandate.invoice_id,
                    AuditEvent(
                        "autogiro_mandate_withdrawn", "customer", now, {"payer_number": mandate.payer_number}
                    ),
                )
            return withdrawn
        if mandate is None or mandate.status not in (MandateStatus.APPROVED, MandateStatus.SENT):
            status = mandate.status.value if mandate else "none"
            raise PermanentError(f"no mandate to cancel (status {status})", field="customer_id")
        cancelled = self.mandates.request_cancel(
            mandate, now, self._ended(mandate, MandateStatus.CANCEL_PENDING, now)
        )
        if mandate.invoice_id:
            self.audit.append(
                tenant_id,
                mandate.invoice_id,
                AuditEvent(
                    "autogiro_mandate_cancel_requested",
                    "operator",
                    now,
                    {"payer_number": mandate.payer_number},
                ),
            )
        return cancelled


def _retry_requested(stored: StoredInvoice) -> bool:
    """The reminder flow asked for the next charge attempt (state["dunning"]["retries"], recorded by
    billing.services.dunning for the mandate's payment module to carry out)."""
    attempts = autogiro_invoice_state(stored.state).attempts
    retries = (stored.state.get("dunning") or {}).get("retries") or []
    return any(int(r.get("attempt", 0)) == len(attempts) + 1 for r in retries if isinstance(r, dict))
