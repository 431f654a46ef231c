"""Automatic payment known from the moment an invoice is issued.

A customer who gave a mandate on an earlier invoice expects the next one to say "will be debited on
<date>" in its first email, not "pay by". The worker asks `AutopayAtIssue` for the invoice's initial
payment state and stores it in the issuing transaction, so the first page, the first email and every
retry of the message say the same thing.

One scheme takes an invoice, never two: a SEK invoice of a customer with an approved Autogiro mandate
is debited by Autogiro (its debit date told in this email, which is the notice Bankgirot's rules ask
for), and the card collector leaves it alone (`CollectDuePayments` skips invoices Autogiro holds).
Otherwise a usable Stripe mandate charges it on the due date. The states written here are the ones the
mandate flows write on invoices that were already open (`ExportRequestFile._announce`,
`ProcessStripeEvent._mark_autopay`), so the page, the collectors and the reminders read them alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from billing.domain.autogiro.bankdays import debit_date_for, stockholm_date
from billing.domain.autogiro.invoice_state import AutogiroInvoiceState, autogiro_invoice_state
from billing.services.errors import PermanentError
from billing.services.ports import AuditEvent, CustomerAccount, TenantAccount

if TYPE_CHECKING:
    from billing.domain.invoice import Invoice
    from billing.services.autogiro import MandateStore

# The Autogiro and Stripe use cases are imported where a customer has a mandate (or a tenant an Autogiro
# agreement), not with this module: the worker and every function importing the billing run would
# otherwise load the Autogiro parser and planner at cold start (`python -X importtime`: importing
# billing.services.billing_run took about 186 ms with them, 110 ms without).


@dataclass(kw_only=True, eq=False)
class AutopayAtIssue:
    autogiro_mandates: MandateStore | None = None

    def state(
        self, tenant: TenantAccount, account: CustomerAccount, invoice: Invoice, now: datetime
    ) -> dict[str, Any]:
        """The invoice's initial `state` (empty: paid by hand). Reads the Autogiro mandate only for a
        SEK invoice of a tenant that offers Autogiro; the Stripe record comes with the customer."""
        if invoice.amount_due <= 0:
            return {}
        autogiro = self._autogiro(tenant, account, invoice, stockholm_date(now))
        if autogiro is not None:
            return {"autogiro": autogiro}
        if account.stripe:
            from billing.domain.payments import ACTIVE, StripeInvoiceRecord
            from billing.services.payments import mandate_from_record

            mandate = mandate_from_record(account.stripe)
            if mandate is not None and mandate.usable:
                return {"stripe": StripeInvoiceRecord().with_autopay(ACTIVE, now).to_record()}
        return {}

    def _autogiro(
        self, tenant: TenantAccount, account: CustomerAccount, invoice: Invoice, today: date
    ) -> dict[str, Any] | None:
        if self.autogiro_mandates is None or invoice.currency.upper() != "SEK":
            return None
        if not isinstance(tenant.page.get("autogiro"), dict):
            return None  # no Autogiro agreement (what autogiro_settings checks first)
        from billing.services.autogiro import MandateStatus, autogiro_settings

        try:
            offered = autogiro_settings(tenant) is not None
        except PermanentError:
            offered = False  # a broken agreement is the export's error to report, not the run's
        if not offered:
            return None
        mandate = self.autogiro_mandates.get(tenant.settings.tenant_id, account.customer.id)
        if mandate is None or mandate.status is not MandateStatus.APPROVED:
            return None
        # Never before the notice period ends, counted from today, the day this email goes out.
        debit_date = debit_date_for(invoice.due_date, notified_on=today)
        return AutogiroInvoiceState().announced(mandate.payer_number, debit_date, today).to_record()

    @staticmethod
    def audit_event(state: dict[str, Any], at: datetime) -> AuditEvent | None:
        """The audit entry for an invoice issued with automatic payment in its state (the entries the
        mandate flows write for invoices that were already open)."""
        autogiro = autogiro_invoice_state(state)
        if autogiro.debit_date is not None:
            details = {"debit_date": autogiro.debit_date.isoformat(), "payer_number": autogiro.payer_number}
            return AuditEvent("autogiro_debit_announced", "system", at, details)
        if state.get("stripe"):
            return AuditEvent("autopay_active", "system", at)
        return None
