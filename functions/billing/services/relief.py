"""Relief the customer chooses on the invoice page: move the due date once, or split into instalments.

The rules are the domain's (`move_due_date`, `split_invoice`); this use case reads the invoice by its
page token, records the choice with a version-checked write (state["dunning"]; instalments as child
invoices with their own number, OCR reference and page token), writes the audit entry, confirms by
email and re-renders the page. A refusal is a `ReliefNotGranted` naming the field and the reason.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from billing.domain.dunning import (
    AuditEntry,
    CustomerHistory,
    InvoiceDunningState,
    ReliefRefused,
    ReminderPolicy,
    due_date_moved_entry,
    instalment_plan_entry,
    move_due_date,
    split_invoice,
)
from billing.domain.dunning.relief import ReliefChoice
from billing.domain.dunning_events import relief_chosen_event
from billing.domain.ocr import ocr_reference
from billing.domain.outbox import OutboxEvent
from billing.services.dunning import (
    audit_event,
    dunning_of,
    dunning_state,
    local_today,
    policy_of,
)
from billing.services.dunning.letters import DunningLetters
from billing.services.dunning.page import relief_choice
from billing.services.dunning.ports import ReliefForm, ReliefFormPage
from billing.services.errors import PermanentError, RetryableError
from billing.services.invoice_pages import InvoiceNotFound
from billing.services.ports import (
    CustomerAccount,
    StoredInvoice,
    TenantAccount,
)

SAVE_ATTEMPTS = 5


class ReliefNotGranted(PermanentError):
    """The customer's choice is not allowed; `code` is the domain's `ReliefRefusal` value."""


def instalment_ocr(sequence_digits: str, number: int, length_digit: bool) -> str:
    """An instalment's own OCR reference: "9", the part (2 digits), the parent's number (8 digits).

    Ordinary references are made from the invoice's sequence number alone, so this one could only
    meet one whose sequence number has 11 digits and starts with 9."""
    return ocr_reference(f"9{number:02d}{int(sequence_digits or 0):08d}", length_digit)


@dataclasses.dataclass(frozen=True)
class _Read:
    """What a relief choice starts from: the invoice behind the page token, its tenant and customer,
    the tenant's reminder policy and the invoice's dunning state."""

    stored: StoredInvoice
    tenant: TenantAccount
    account: CustomerAccount
    policy: ReminderPolicy
    state: InvoiceDunningState

    def chosen_event(self, now: datetime, **choice: Any) -> OutboxEvent:
        """The merchant's relief.chosen for `choice` (billing.domain.dunning_events), written with it."""
        stored = self.stored
        return relief_chosen_event(
            stored.tenant_id,
            stored.invoice,
            amount_due=int(stored.amount_due),
            seq=stored.event_seq + 1,
            customer_id=self.account.customer.id,
            now=now,
            **choice,
        )


def _not_granted(refused: ReliefRefused) -> ReliefNotGranted:
    return ReliefNotGranted(refused.reason, field=refused.field, code=refused.refusal.value)


def _parse_day(value: str | None, field: str) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise ReliefNotGranted("choose a date (YYYY-MM-DD)", field=field) from None


@dataclasses.dataclass(kw_only=True, eq=False)
class CustomerRelief(DunningLetters):
    """The customer's own relief on a late invoice, chosen on its page: a later due date or
    instalments, within the tenant's reminder policy; the page, a confirmation letter and the audit
    follow."""

    form: ReliefForm

    def by_token(self, token: str) -> StoredInvoice:
        stored = self.invoices.by_page_token(token)
        if stored is None:
            raise InvoiceNotFound("no invoice has this link", field="token")
        return stored

    def today(self) -> date:
        return local_today(self.clock.now())

    def choice(self, stored: StoredInvoice, tenant: TenantAccount, today: date) -> ReliefChoice | None:
        """What the relief form offers: the choice the rules leave the customer (None: not open)."""
        policy = policy_of(tenant)
        return relief_choice(stored, policy, today) if stored.status == "open" else None

    def form_page(self, token: str, *, page_url: str, api_base: str, error: str | None = None) -> str:
        """The relief form of the invoice behind `token`, with `error` when a choice was refused."""
        stored = self.by_token(token)
        (tenant, _), today = self.pages.load(stored), self.today()
        choice = self.choice(stored, tenant, today)
        return self.form(ReliefFormPage(stored, tenant, today, choice, page_url, api_base, error))

    def _read(self, token: str) -> _Read:
        stored = self.by_token(token)
        tenant, account = self.pages.load(stored)
        state = dunning_state(stored, agreed_on=None, history=CustomerHistory(0, 0))
        return _Read(stored, tenant, account, policy_of(tenant), state)

    def _confirm(
        self,
        read: _Read,
        entry: AuditEntry,
        kind: str,
        facts: Mapping[str, Any],
        *,
        with_amount: bool = False,
    ) -> StoredInvoice:
        """After the choice is stored: its audit entry, the confirming email (`facts`, and the amount
        due as stored now `with_amount`) and the page again; the invoice as stored now."""
        stored, tenant, account = read.stored, read.tenant, read.account
        self.audit.append(stored.tenant_id, stored.invoice_id, audit_event(entry))
        fresh = self.invoices.get(stored.tenant_id, stored.invoice_id) or stored
        params = {**facts, "amount": fresh.amount_due} if with_amount else facts
        email = self.mail.notice(fresh, tenant, account, kind, params)
        self.mailer.send(to=account.email, subject=email.subject, text=email.text, html=email.html)
        self.pages.publish(fresh, tenant, account)
        return fresh

    def move(self, token: str, requested: str | None) -> StoredInvoice:
        new_date = _parse_day(requested, "due_date")
        for _ in range(SAVE_ATTEMPTS):
            read = self._read(token)
            stored, account, before = read.stored, read.account, read.state
            try:
                after = move_due_date(before, new_date, read.policy, self.today())
            except ReliefRefused as refused:
                raise _not_granted(refused) from None
            now = self.clock.now()
            dunning = {
                **dunning_of(stored),
                "due_date_moved_to": new_date.isoformat(),
                "due_date_moved_at": now.isoformat(),
            }
            event = read.chosen_event(now, choice="move", due_date_moved_to=new_date)
            # The choice and the merchant's relief.chosen are one transaction: a retry that finds
            # the choice made writes neither again.
            if not self.store.save_dunning(stored, dunning, events=[event]):
                continue
            entry = due_date_moved_entry(before, after, account.customer.id, now)
            return self._confirm(read, entry, "moved", {"due_date": new_date.isoformat()}, with_amount=True)
        raise RetryableError("the invoice kept changing; try again")

    def split(self, token: str, instalments: str | None, first_due: str | None) -> StoredInvoice:
        try:
            n = int((instalments or "").strip())
        except ValueError:
            raise ReliefNotGranted("choose how many parts", field="instalments") from None
        first = _parse_day(first_due, "first_due")
        for _ in range(SAVE_ATTEMPTS):
            read = self._read(token)
            stored, tenant, account = read.stored, read.tenant, read.account
            try:
                plan = split_invoice(read.state, n, first, read.policy, self.today())
            except ReliefRefused as refused:
                raise _not_granted(refused) from None
            now = self.clock.now()
            sequence = "".join(ch for ch in (stored.invoice.number or "") if ch.isdigit())
            children: list[dict[str, Any]] = []
            summary: list[dict[str, Any]] = []
            for part in plan.instalments:
                number = f"{stored.invoice.number or stored.invoice_id}-{part.number}"
                ocr = instalment_ocr(sequence, part.number, tenant.settings.ocr_length_digit)
                # Its own 192 random bits, like every page link: a part's link must not reveal the
                # whole invoice's page (as the parent token plus a suffix did; those links still work,
                # they are stored, not derived).
                # (Not `token`: that is the page's link, read again when a write is contended.)
                part_token = secrets.token_urlsafe(24)
                document = dataclasses.replace(
                    stored.invoice,
                    invoice_id=part.instalment_id,
                    number=number,
                    ocr=ocr,
                    due_date=part.due_date,
                    amount_due=part.amount_minor,
                    extra={
                        **stored.invoice.extra,
                        "instalment_of": stored.invoice_id,
                        "instalment": part.number,
                        "instalments": len(plan.instalments),
                    },
                ).to_dict()
                children.append(
                    {
                        "invoice_id": part.instalment_id,
                        "number": number,
                        "number_in_plan": part.number,
                        "ocr": ocr,
                        "page_token": part_token,
                        "amount": part.amount_minor,
                        "due_date": part.due_date.isoformat(),
                        "document": document,
                    }
                )
                summary.append(
                    {
                        "invoice_id": part.instalment_id,
                        "number": part.number,
                        "amount": part.amount_minor,
                        "due_date": part.due_date.isoformat(),
                        "ocr": ocr,
                        "paid": False,
                        # The part's own link, for paying it by card from the parent's page.
                        "page_token": part_token,
                    }
                )
            dunning = {**dunning_of(stored), "split": {"at": now.isoformat(), "instalments": summary}}
            event = read.chosen_event(now, choice="split", instalments=tuple(summary))
            if not self.store.split(stored, dunning, children, now, events=[event]):
                continue
            entry = instalment_plan_entry(plan, account.customer.id, now)
            return self._confirm(read, entry, "split", {"instalments": summary})
        raise RetryableError("the invoice kept changing; try again")
