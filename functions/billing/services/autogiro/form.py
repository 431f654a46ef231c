"""The mandate form behind the page's pay-automatically link: checked, stored pending, told on the page."""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.autogiro.validation import (
    ValidationError,
    autogiro_identity,
    validate_bank_account,
)
from billing.services.autogiro.model import AutogiroFormError, AutogiroNotOffered, autogiro_settings
from billing.services.autogiro.ports import (
    CONSENT_VALUE,
    AutogiroInvoices,
    MandateApplication,
    MandateForm,
    MandateStatus,
    MandateStore,
    MethodChange,
)
from billing.services.invoice_pages import InvoiceNotFound, InvoicePages
from billing.services.ports import (
    AuditEvent,
    AuditTrail,
    Clock,
    StoredInvoice,
    StoredInvoices,
    TenantAccount,
)

# --------------------------------------------------------------------------------------------- form


# The form's fields a refusal can name; the page words each refusal in the reader's language
# (adapters/autogiro.py, from the gettext catalogs).
FORM_FIELDS = ("personnummer", "clearing", "account_number", "consent")


@dataclass(kw_only=True, eq=False)
class AutogiroMandates:
    """The mandate form behind the invoice page."""

    # Ends a card mandate in force and confirms the change once (billing.services.payment_method_change)
    invoices: StoredInvoices
    autogiro_invoices: AutogiroInvoices
    mandates: MandateStore
    pages: InvoicePages
    audit: AuditTrail
    clock: Clock
    method_change: MethodChange | None = None

    def _load(self, token: str) -> tuple[StoredInvoice, TenantAccount, str]:
        stored = self.invoices.by_page_token(token)
        if stored is None:
            raise InvoiceNotFound("no invoice has this link", field="token")
        tenant, account = self.pages.load(stored)
        if autogiro_settings(tenant) is None:
            raise AutogiroNotOffered("Autogiro is not offered for this invoice", field="token")
        return stored, tenant, account.customer.language

    def form(self, token: str) -> MandateForm:
        stored, tenant, language = self._load(token)
        return MandateForm(
            stored, tenant, language, self.mandates.get(stored.tenant_id, stored.invoice.customer_id)
        )

    def submit(self, token: str, fields: dict[str, str]) -> MandateForm:
        """Validate and store a pending mandate. A wrong field raises AutogiroFormError; the form
        carries the values back so the page can show them with the error."""
        stored, tenant, language = self._load(token)
        now = self.clock.now()
        customer_id = stored.invoice.customer_id
        current = self.mandates.get(stored.tenant_id, customer_id)
        if current is not None and current.status in (
            MandateStatus.PENDING,
            MandateStatus.SENT,
            MandateStatus.APPROVED,
        ):
            if self.method_change is not None:
                self.method_change.confirm_pending(stored)  # a confirmation whose send failed goes now
            return MandateForm(stored, tenant, language, current)  # a repeated post: nothing new
        if (fields.get("consent") or "").strip() != CONSENT_VALUE:
            raise AutogiroFormError("consent not given", field="consent")
        try:
            identity = autogiro_identity(fields.get("personnummer", ""), "personnummer", today=now.date())
            if identity.startswith("00"):
                # Mandates are for people paying their own invoices; an organisationsnummer belongs
                # to a company's account holder, which the form does not ask for.
                raise ValidationError("personnummer", "a company number is not a personnummer")
            account = validate_bank_account(fields.get("clearing", ""), fields.get("account_number", ""), "")
        except ValidationError as exc:
            name = exc.field.lstrip(".")
            name = {"clearing": "clearing", "number": "account_number"}.get(name, name)
            field = name if name in FORM_FIELDS else "account_number"
            raise AutogiroFormError(exc.reason, field=field) from exc
        previous = (
            self.method_change.previous_method(stored.tenant_id, customer_id, "autogiro")
            if self.method_change is not None
            else None
        )
        mandate = self.mandates.request(
            MandateApplication(
                tenant_id=stored.tenant_id,
                customer_id=customer_id,
                account=account,
                identity=identity,
                invoice_id=stored.invoice_id,
                now=now,
            )
        )
        updated = self.autogiro_invoices.update_autogiro(
            stored.tenant_id,
            stored.invoice_id,
            lambda s: s.with_mandate(MandateStatus.PENDING.value),
        )
        # No personal data on the audit trail: the payer number identifies the mandate.
        self.audit.append(
            stored.tenant_id,
            stored.invoice_id,
            AuditEvent("autogiro_mandate_requested", "customer", now, {"payer_number": mandate.payer_number}),
        )
        if self.method_change is not None and previous is not None:
            self.method_change.started(updated, "autogiro", previous, mandate.payer_number)
            updated = self.invoices.get(stored.tenant_id, stored.invoice_id) or updated
        self.pages.publish(updated)
        return MandateForm(updated, tenant, language, mandate)
