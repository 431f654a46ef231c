"""Autogiro use cases: the mandate form on the invoice page, the daily request file, the reports.

* `AutogiroMandates` serves the form behind the invoice page's "pay automatically" link: it checks
  personnummer, clearing and account number with the domain's validation, stores a pending mandate,
  and marks the invoice so its page says the mandate is waiting for the bank.
* `ExportRequestFile` writes one tenant's request file for a moment (`now`): pending mandates and
  cancellations from the store's outbox, and debits of open invoices whose customer has an approved
  mandate. It decides each invoice's debit date once, records it on the invoice, re-renders the page
  and emails the invoice again so the customer reads "will be debited on ..." at least 8 banking
  days ahead. Debits already in a file are marked per invoice and debit date, so a second run the same
  day orders nothing twice.
* `ImportReport` reads a report Bankgirot sent (put into `autogiro/inbox/<tenant>/`): mandate answers
  update the mandate and the page; settled debits go through `ApplyPaymentEvent` like any payment;
  failed or rejected debits are recorded on the invoice with their reason for the reminder flow.

Invoice state lives in `state["autogiro"]` (docs/autogiro.md): the mandate's status and reason as the
page shows it, `debit_date` / `notified_on` / `payer_number`, `sent` (the file), `failed`, `settled`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from billing.domain.autogiro.bankdays import debit_date_for, stockholm_date
from billing.domain.autogiro.outcomes import (
    MandateOutcome,
    MandateOutcomeKind,
    PaymentOutcome,
    PaymentOutcomeKind,
    Reason,
    outcomes_of,
)
from billing.domain.autogiro.parser import AutogiroParseError, parse_file
from billing.domain.autogiro.planning import (
    DEFAULT_LOOKAHEAD_BANKING_DAYS,
    AutogiroPayee,
    DueDebit,
    Held,
    MandateCancellation,
    NewMandate,
    plan_request_file,
)
from billing.domain.autogiro.records import BankAccount, Direction
from billing.domain.autogiro.validation import (
    ValidationError,
    autogiro_identity,
    validate_bank_account,
    validate_bankgiro,
)
from billing.domain.page.context import Announcement, LocalText, PageSettings
from billing.domain.payments import PaymentReversed, PaymentSucceeded
from billing.services.errors import PermanentError, failure_note
from billing.services.invoice_pages import InvoiceNotFound, InvoicePages
from billing.services.ports import (
    AuditEvent,
    AuditTrail,
    Clock,
    InvoiceLedger,
    Mailer,
    StoredInvoice,
    TenantAccount,
)
from billing.services.settlement import ApplyPaymentEvent

STOCKHOLM = ZoneInfo("Europe/Stockholm")
INBOX_PREFIX = "autogiro/inbox/"
OUTBOX_PREFIX = "autogiro/outbox/"
CONSENT_VALUE = "yes"


class AutogiroFormError(PermanentError):
    """A field of the mandate form is wrong; `field` is the form field, `reason` says why."""


class AutogiroNotOffered(PermanentError):
    """The tenant has no Autogiro agreement configured, or the invoice is not in SEK."""


class MandateStatus(StrEnum):
    PENDING = "pending"  # given on the page, not yet in a request file
    SENT = "sent"  # in a request file, waiting for Bankgirot's answer
    APPROVED = "approved"  # debits may be sent
    REJECTED = "rejected"  # Bankgirot or the bank refused it; the reason says why
    CANCEL_PENDING = "cancel_pending"  # to be removed in the next request file (TK03)
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Mandate:
    tenant_id: str
    customer_id: str
    payer_number: str
    status: MandateStatus
    clearing: str | None = None
    account_number: str | None = None
    identity: str | None = None  # 12-position Autogiro form (personnummer or 00 + orgnr)
    invoice_id: str | None = None  # the invoice whose page it was given on
    requested_at: datetime | None = None
    sent_on: date | None = None
    reason: Reason | None = None
    version: int = 1


@dataclass(frozen=True)
class AutogiroSettings:
    """The tenant's Autogiro agreement, from the tenant page document's "autogiro" object."""

    payee: AutogiroPayee
    lookahead_banking_days: int = DEFAULT_LOOKAHEAD_BANKING_DAYS


def autogiro_settings(tenant: TenantAccount) -> AutogiroSettings | None:
    """None when the tenant does not offer Autogiro: not SEK, or no Bankgirot customer number.

    `page["autogiro"] = {"customer_number": "123456", "bankgiro": "5050-1055" (default: the tenant's
    bankgiro), "lookahead_banking_days": 5}`.
    """
    conf = tenant.page.get("autogiro")
    if not isinstance(conf, dict) or tenant.settings.currency.upper() != "SEK":
        return None
    customer_number = str(conf.get("customer_number") or "").strip()
    if not (customer_number.isascii() and customer_number.isdigit() and len(customer_number) <= 6):
        raise PermanentError(
            "the Bankgirot customer number must be at most 6 digits", field="page.autogiro.customer_number"
        )
    bankgiro_text = conf.get("bankgiro") or tenant.settings.bankgiro
    if not bankgiro_text:
        raise PermanentError("Autogiro needs the payee bankgiro number", field="page.autogiro.bankgiro")
    try:
        bankgiro = validate_bankgiro(str(bankgiro_text), "page.autogiro.bankgiro")
    except ValidationError as exc:
        raise PermanentError(exc.reason, field=exc.field) from exc
    lookahead = int(conf.get("lookahead_banking_days", DEFAULT_LOOKAHEAD_BANKING_DAYS))
    if not 1 <= lookahead <= 30:
        raise PermanentError("must be between 1 and 30", field="page.autogiro.lookahead_banking_days")
    return AutogiroSettings(AutogiroPayee(customer_number.zfill(6), bankgiro), lookahead)


# --------------------------------------------------------------------------------------------- ports


class MethodChange(Protocol):
    """billing.services.payment_method_change.ChangePaymentMethod, as the mandate form uses it."""

    def previous_method(self, tenant_id: str, customer_id: str, new: str) -> str: ...

    def started(self, stored: StoredInvoice, new: str, previous: str, ref: str) -> None: ...

    def confirm_pending(self, stored: StoredInvoice) -> int: ...


class MandateStore(Protocol):
    def get(self, tenant_id: str, customer_id: str) -> Mandate | None: ...

    def by_payer(self, tenant_id: str, payer_number: str) -> Mandate | None: ...

    def request(
        self,
        tenant_id: str,
        customer_id: str,
        *,
        account: BankAccount,
        identity: str,
        invoice_id: str,
        now: datetime,
    ) -> Mandate:
        """Store a pending mandate (allocating the customer's payer number the first time) and put
        it in the outbox."""
        ...

    def request_cancel(self, mandate: Mandate, now: datetime) -> Mandate: ...

    def to_send(self, tenant_id: str) -> list[Mandate]:
        """Mandates whose request (new or cancel) waits for the next file."""
        ...

    def mark_sent(self, mandate: Mandate, sent_on: date, now: datetime) -> None: ...

    def answer(
        self, mandate: Mandate, status: MandateStatus, reason: Reason | None, now: datetime
    ) -> Mandate: ...

    def claim_debit(self, tenant_id: str, invoice_id: str, debit_date: date, details: dict[str, Any]) -> bool:
        """Mark a debit as ordered; False when it already was (the same invoice and date)."""
        ...

    def release_debit(self, tenant_id: str, invoice_id: str, debit_date: date) -> None: ...

    def import_done(self, tenant_id: str, digest: str) -> bool: ...

    def mark_imported(self, tenant_id: str, digest: str, details: dict[str, Any]) -> None: ...


class AutogiroInvoices(Protocol):
    def open_invoices(self, tenant_id: str) -> Iterator[StoredInvoice]:
        """Every unpaid invoice of the tenant (the sparse open index), oldest due date first."""
        ...

    def update_autogiro(
        self, tenant_id: str, invoice_id: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> StoredInvoice:
        """Replace state["autogiro"] with change(current), version-checked; the invoice after."""
        ...


class AutogiroFiles(Protocol):
    def write(self, key: str, body: bytes) -> None: ...

    def exists(self, key: str) -> bool: ...

    def read(self, key: str) -> bytes: ...


# --------------------------------------------------------------------------------------------- form


@dataclass(frozen=True)
class MandateForm:
    """What the form page shows: the invoice, the tenant, the mandate so far, and errors."""

    stored: StoredInvoice
    tenant: TenantAccount
    language: str
    mandate: Mandate | None
    values: dict[str, str] = field(default_factory=dict)
    error_field: str | None = None
    error: str | None = None


def _state(stored: StoredInvoice) -> dict[str, Any]:
    return dict(stored.state.get("autogiro") or {})


def announced_state(
    current: dict[str, Any], payer_number: str, debit_date: date, today: date
) -> dict[str, Any]:
    """The invoice's Autogiro state once its debit date is decided and told to the customer (by the
    invoice email at issue, or by the export for an invoice that was open when the mandate came)."""
    return {
        **{k: v for k, v in current.items() if k != "failed"},
        "mandate": {"status": MandateStatus.APPROVED.value, "reason": None},
        "active": True,  # for the reminder flow and the card collector: this invoice is paid by mandate
        "debit_date": debit_date.isoformat(),
        "notified_on": today.isoformat(),
        "payer_number": payer_number,
    }


def _reason_record(reason: Reason | None) -> dict[str, str] | None:
    return None if reason is None else {"code": reason.code, "sv": reason.sv, "en": reason.en}


FORM_ERRORS = {
    "personnummer": ("Kontrollera personnumret.", "Please check the personal identity number."),
    "clearing": ("Kontrollera clearingnumret.", "Please check the clearing number."),
    "account_number": ("Kontrollera kontonumret.", "Please check the account number."),
    "consent": (
        "Du behöver godkänna medgivandet för att betala med Autogiro.",
        "Please give your consent to pay by Autogiro.",
    ),
}


class AutogiroMandates:
    """The mandate form behind the invoice page."""

    def __init__(
        self,
        *,
        invoices: InvoiceLedger,
        autogiro_invoices: AutogiroInvoices,
        mandates: MandateStore,
        pages: InvoicePages,
        audit: AuditTrail,
        clock: Clock,
        method_change: MethodChange | None = None,
    ) -> None:
        self.invoices = invoices
        self.autogiro_invoices = autogiro_invoices
        self.mandates = mandates
        self.pages = pages
        self.audit = audit
        self.clock = clock
        # Ends a card mandate in force and confirms the change once (billing.services.payment_method_change)
        self.method_change = method_change

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
            raise AutogiroFormError(FORM_ERRORS["consent"][language == "en"], field="consent")
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
            texts = FORM_ERRORS.get(name, FORM_ERRORS["account_number"])
            # The validation's detail is in English: shown to English readers only.
            message = f"{texts[1]} ({exc.reason})" if language == "en" else texts[0]
            raise AutogiroFormError(message, field=name) from exc
        previous = (
            self.method_change.previous_method(stored.tenant_id, customer_id, "autogiro")
            if self.method_change is not None
            else None
        )
        mandate = self.mandates.request(
            stored.tenant_id,
            customer_id,
            account=account,
            identity=identity,
            invoice_id=stored.invoice_id,
            now=now,
        )
        updated = self.autogiro_invoices.update_autogiro(
            stored.tenant_id,
            stored.invoice_id,
            lambda s: {**s, "mandate": {"status": MandateStatus.PENDING.value, "reason": None}},
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


class ExportRequestFile:
    def __init__(
        self,
        *,
        tenants: Callable[[str], TenantAccount],
        autogiro_invoices: AutogiroInvoices,
        mandates: MandateStore,
        pages: InvoicePages,
        files: AutogiroFiles,
        mailer: Mailer,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self.tenants = tenants
        self.autogiro_invoices = autogiro_invoices
        self.mandates = mandates
        self.pages = pages
        self.files = files
        self.mailer = mailer
        self.audit = audit
        self.clock = clock

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
                _ordered(key, payment_date, d.order.amount_ore),
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
        state = _state(stored)
        if mandate is None or mandate.status is not MandateStatus.APPROVED:
            if state.get("debit_date") and not state.get("sent"):
                self._withdraw(stored, mandate, now)  # the mandate ended after the date was told
            return
        if state.get("sent"):
            return  # in a file already: waits for Bankgirot's report
        if state.get("failed") and not _retry_requested(stored):
            return  # the reminder flow decides whether to debit again
        if (
            state.get("failed")
            or not state.get("debit_date")
            or state.get("payer_number") != mandate.payer_number
        ):
            # First sight of the invoice, or a retry the reminder flow asked for: a debit date
            # with the full notice, told to the customer.
            debit_date = debit_date_for(stored.invoice.due_date, notified_on=today)
            stored = self._announce(stored, mandate, debit_date, today, now)
            announced.append((stored.invoice_id, debit_date))
            state = _state(stored)
        debits.append(
            DueDebit(
                invoice_id=stored.invoice_id,
                payer_number=mandate.payer_number,
                amount_ore=stored.amount_due,
                debit_date=date.fromisoformat(state["debit_date"]),
                notified_on=date.fromisoformat(state["notified_on"]),
                reference=stored.invoice.ocr or stored.invoice_id[-16:],
            )
        )

    def _withdraw(self, stored: StoredInvoice, mandate: Mandate | None, now: datetime) -> None:
        status = mandate.status.value if mandate else MandateStatus.CANCELLED.value
        if status == MandateStatus.CANCEL_PENDING.value:
            status = MandateStatus.CANCELLED.value
        reason = _reason_record(mandate.reason) if mandate else None
        updated = self.autogiro_invoices.update_autogiro(
            stored.tenant_id,
            stored.invoice_id,
            lambda s: {
                **{k: v for k, v in s.items() if k not in ("debit_date", "notified_on", "active")},
                "mandate": {"status": status, "reason": reason},
            },
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
            lambda s: announced_state(s, mandate.payer_number, debit_date, today),
        )
        tenant, account = self.pages.load(updated)
        rendered = self.pages.publish(updated, tenant, account)
        # The invoice email again, now saying the debit date: the notice the payer must get.
        self.mailer.send(
            to=account.email,
            subject=rendered.email_subject,
            text=rendered.email_text,
            html=rendered.email_html,
            reply_to=tenant.page.get("support_email"),
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


class CancelMandate:
    """An operator ends a customer's Autogiro (the customer asked): TK03 goes in the next file, and
    that export withdraws the debit dates told but not yet ordered."""

    def __init__(self, *, mandates: MandateStore, audit: AuditTrail, clock: Clock) -> None:
        self.mandates = mandates
        self.audit = audit
        self.clock = clock

    def __call__(self, tenant_id: str, customer_id: str) -> Mandate:
        mandate = self.mandates.get(tenant_id, customer_id)
        now = self.clock.now()
        if mandate is not None and mandate.status is MandateStatus.PENDING:
            # Not in any file yet: Bankgirot never saw it, so it is withdrawn here, without a TK03
            # (the customer stopping it, or choosing card instead, before the next export).
            withdrawn = self.mandates.answer(mandate, MandateStatus.CANCELLED, None, now)
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
        cancelled = self.mandates.request_cancel(mandate, now)
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


def tenant_of_inbox_key(key: str) -> str:
    """`autogiro/inbox/<tenant>/<file>` -> tenant."""
    rest = key.removeprefix(INBOX_PREFIX)
    tenant, _, name = rest.partition("/")
    if not key.startswith(INBOX_PREFIX) or not tenant or not name:
        raise PermanentError(f"expected {INBOX_PREFIX}<tenant>/<file>, got {key!r}", field="key")
    return tenant


class ImportReport:
    def __init__(
        self,
        *,
        tenants: Callable[[str], TenantAccount],
        invoices: InvoiceLedger,
        autogiro_invoices: AutogiroInvoices,
        mandates: MandateStore,
        pages: InvoicePages,
        settle: ApplyPaymentEvent,
        files: AutogiroFiles,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self.tenants = tenants
        self.invoices = invoices
        self.autogiro_invoices = autogiro_invoices
        self.mandates = mandates
        self.pages = pages
        self.settle = settle
        self.files = files
        self.audit = audit
        self.clock = clock

    def __call__(self, key: str) -> ImportResult:
        tenant_id = tenant_of_inbox_key(key)
        conf = autogiro_settings(self.tenants(tenant_id))
        if conf is None:
            raise AutogiroNotOffered(f"tenant {tenant_id} has no Autogiro agreement", field="tenant_id")
        body = self.files.read(key)
        digest = hashlib.sha256(body).hexdigest()
        try:
            parsed = parse_file(body)
        except AutogiroParseError as exc:
            raise PermanentError(f"line {exc.line_no}: {exc.reason}", field=exc.field, code="parse") from exc
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
        mandate = self.mandates.answer(mandate, status, shown_reason, now)
        if mandate.invoice_id is None:
            return
        updated = self.autogiro_invoices.update_autogiro(
            tenant_id,
            mandate.invoice_id,
            lambda s: {**s, "mandate": {"status": status.value, "reason": _reason_record(shown_reason)}},
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
            sent = _state(stored).get("sent") or {}
            amount = stored.invoice.amount_due
            ordered = int(sent.get("amount", amount)) if isinstance(sent, dict) else amount
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
                lambda s: {
                    **{k: v for k, v in s.items() if k != "failed"},
                    "settled": {"payment_date": payment_date.isoformat(), "amount": payment.amount_ore},
                    "attempts": _attempts_with_outcome(s, "succeeded"),
                },
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
                lambda s: {
                    **s,
                    "reversed": {
                        "payment_date": original.isoformat(),
                        "amount": payment.amount_ore,
                        **(_reason_record(payment.reason) or {}),
                    },
                },
            )
            reversal = PaymentReversed(
                event_id=f"autogiro:{digest[:32]}:{index}",
                event_type="autogiro.payment.refunded",
                occurred_at=_reported_at(payment.new_date or payment_date),
                invoice_id=stored.invoice_id,
                payment_ref=_debit_ref(stored.invoice_id, original),
                amount=payment.amount_ore or 0,
                currency=stored.invoice.currency,
                reason=payment.reason.en if payment.reason else None,
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
            and bool(_state(stored).get("sent"))
        )
        if payment.kind in (PaymentOutcomeKind.FAILED, PaymentOutcomeKind.REJECTED) or cancelled_debit:
            reason = payment.reason
            failed = {
                "payment_date": payment_date.isoformat(),
                "kind": payment.kind.value,
                **(_reason_record(reason) or {}),
            }
            updated = self.autogiro_invoices.update_autogiro(
                tenant_id,
                stored.invoice_id,
                # The debit date no longer holds: the page must not promise it any more.
                lambda s: {
                    **{k: v for k, v in s.items() if k not in ("debit_date", "sent")},
                    "failed": failed,
                    "attempts": _attempts_with_outcome(s, "failed"),
                },
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


def _ordered(key: str, payment_date: date, amount: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The invoice's state once its debit is in a file: `sent`, and a pending charge attempt in the
    shape the reminder flow reads (billing.services.dunning.mandate_attempts)."""

    def change(state: dict[str, Any]) -> dict[str, Any]:
        attempts = list(state.get("attempts") or [])
        attempts.append({"attempt": len(attempts) + 1, "on": payment_date.isoformat(), "outcome": "pending"})
        sent = {"file": key, "payment_date": payment_date.isoformat(), "amount": amount}
        return {**state, "sent": sent, "attempts": attempts}

    return change


def _attempts_with_outcome(state: dict[str, Any], outcome: str) -> list[dict[str, Any]]:
    """The charge attempts with the last pending one given its outcome."""
    attempts = [dict(a) for a in state.get("attempts") or []]
    for attempt in reversed(attempts):
        if attempt.get("outcome") == "pending":
            attempt["outcome"] = outcome
            break
    return attempts


def _retry_requested(stored: StoredInvoice) -> bool:
    """The reminder flow asked for the next charge attempt (state["dunning"]["retries"], recorded by
    billing.services.dunning for the mandate's payment module to carry out)."""
    attempts = (stored.state.get("autogiro") or {}).get("attempts") or []
    retries = (stored.state.get("dunning") or {}).get("retries") or []
    return any(int(r.get("attempt", 0)) == len(attempts) + 1 for r in retries if isinstance(r, dict))


def _account(mandate: Mandate) -> BankAccount:
    return BankAccount(mandate.clearing or "", mandate.account_number or "")


def _code(reason: Reason | None) -> str | None:
    return reason.code if reason else None


def _count(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


def export_moment(on: date, at: time = time(9)) -> datetime:
    """The moment the scheduled export runs on `on` (09:00 Swedish time), for the CLI's --date."""
    return datetime.combine(on, at, tzinfo=STOCKHOLM)


# --------------------------------------------------------------------------------------------- page


AUTOGIRO_NOTICE_ID = "autogiro-mandate"
_NOTICES = {
    MandateStatus.PENDING.value: (
        "Ditt Autogiro-medgivande väntar på godkännande från din bank.",
        "Your Autogiro mandate is waiting for your bank's approval.",
    ),
    MandateStatus.SENT.value: (
        "Ditt Autogiro-medgivande väntar på godkännande från din bank.",
        "Your Autogiro mandate is waiting for your bank's approval.",
    ),
    MandateStatus.REJECTED.value: (
        "Ditt Autogiro-medgivande godkändes inte: {sv}",
        "Your Autogiro mandate was not approved: {en}",
    ),
    MandateStatus.CANCELLED.value: ("Autogiro är avslutat: {sv}", "Autogiro has ended: {en}"),
    "failed": ("Autogiro-dragningen kunde inte göras: {sv}", "The Autogiro debit could not be made: {en}"),
}


def autogiro_page_links(stored: StoredInvoice, tenant: TenantAccount, api_base: str) -> dict[str, str]:
    """`autopay_url` of the invoice page: the Autogiro form, for SEK tenants with an agreement."""
    try:
        offered = autogiro_settings(tenant) is not None
    except PermanentError:
        offered = False
    if not offered or stored.invoice.currency.upper() != "SEK":
        return {}
    return {"autopay_url": f"{api_base.rstrip('/')}/v1/pages/{stored.page_token}/autogiro"}


def autogiro_page_state(stored: StoredInvoice, today: date) -> dict[str, Any]:
    """`debit_date` and `autopay_active` for the page's InvoiceState, from state["autogiro"]."""
    state = _state(stored)
    if not state:
        return {}
    status = (state.get("mandate") or {}).get("status")
    result: dict[str, Any] = {}
    if status in (MandateStatus.PENDING.value, MandateStatus.SENT.value, MandateStatus.APPROVED.value):
        result["autopay_active"] = True  # no "set up automatic payment" for a mandate already given
    debit = state.get("debit_date")
    if debit and not state.get("failed") and stored.status == "open" and date.fromisoformat(debit) >= today:
        result["debit_date"] = date.fromisoformat(debit)
    return result


def autogiro_page_notice(stored: StoredInvoice) -> tuple[str, str] | None:
    """What the page should say about the mandate or a failed debit (Swedish, English), if anything."""
    state = _state(stored)
    if stored.status != "open" or not state:
        return None
    failed = state.get("failed")
    if failed:
        sv, en = _NOTICES["failed"]
        return _sentence(sv, failed.get("sv")), _sentence(en, failed.get("en"))
    mandate = state.get("mandate") or {}
    texts = _NOTICES.get(str(mandate.get("status")))
    if texts is None:
        return None
    reason = mandate.get("reason") or {}
    return _sentence(texts[0], reason.get("sv")), _sentence(texts[1], reason.get("en"))


def _sentence(template: str, reason: str | None) -> str:
    """The notice with Bankgirot's reason after the colon, or ending in a full stop without one."""
    if "{" not in template:
        return template
    if reason:
        return template.replace("{sv}", reason).replace("{en}", reason)
    return template.split(":")[0] + "."


def with_autogiro_notice(settings: PageSettings, stored: StoredInvoice) -> PageSettings:
    """The page settings with the Autogiro notice first among the announcements (the page has no
    block of its own for it)."""
    notice = autogiro_page_notice(stored)
    if notice is None:
        return settings
    announcement = Announcement(
        announcement_id=AUTOGIRO_NOTICE_ID,
        title=LocalText({"sv": "Autogiro", "en": "Autogiro"}),
        body=LocalText({"sv": notice[0], "en": notice[1]}),
    )
    return replace(settings, announcements=(announcement, *settings.announcements))
