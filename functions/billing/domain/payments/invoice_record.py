"""The invoice's Stripe record (`state["stripe"]`), typed: the Checkout and setup sessions made for it,
the collector's last charge, refunds' credit notes, and whether automatic payment holds it. Written by
billing.services.payments alone; read by the page, the reminders and the payment controls.

Read from and written to the stored JSON here alone, in the shape stored before it had a type (the same
keys), so every record stored earlier reads unchanged. A key this type does not know is kept as it
was and written back, never dropped. Optional values are written only when set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from billing.domain.payments.collection import CollectorAction
from billing.domain.stored import day, moment, put, text, unknown

ACTIVE = "active"  # a usable mandate will charge the invoice on its due date
STOPPED = "stopped"  # automatic payment stopped: an ordinary invoice again (`fallback` says why)

# A charge in one of these states is done with: the collector charges it no more, and its webhook
# finds nothing left to do ("settled": the webhook's word for a processing debit that went through).
CHARGE_DONE = frozenset(
    {
        CollectorAction.SETTLED.value,
        CollectorAction.AWAIT_WEBHOOK.value,
        CollectorAction.ASK_CUSTOMER.value,
        CollectorAction.FALL_BACK.value,
        "settled",
    }
)
_CLAIM = "sending:"


@dataclass(frozen=True)
class SessionRecord:
    """A Checkout Session (payment or setup mode) made for one attempt of this invoice."""

    attempt: int
    session_id: str
    url: str
    amount: int  # minor units asked (0: setup mode)
    created_at: datetime
    payments_seen: int = 0  # payments the invoice had settled when it was made (start_payment._attempt)

    @classmethod
    def from_record(cls, raw: Mapping[str, Any]) -> SessionRecord:
        return cls(
            attempt=int(raw["attempt"]),
            session_id=str(raw["session_id"]),
            url=str(raw["url"]),
            amount=int(raw.get("amount", 0)),
            created_at=datetime.fromisoformat(str(raw["created_at"])),
            payments_seen=int(raw.get("payments_seen", 0)),
        )

    def to_record(self) -> dict[str, Any]:
        return {
            "attempt": self.attempt,
            "session_id": self.session_id,
            "url": self.url,
            "amount": self.amount,
            "created_at": self.created_at.isoformat(),
            "payments_seen": self.payments_seen,
        }


@dataclass(frozen=True)
class ChargeRecord:
    """The collector's last off-session charge, and what it decided (billing.domain.payments
    .decide_after_charge); the webhook later sets `settled` or `failed` on a processing debit."""

    attempt: int
    status: str  # a CollectorAction's value, or the webhook's settled | failed
    payment_ref: str | None = None
    failure_code: str | None = None
    decline_code: str | None = None
    at: datetime | None = None
    next_attempt: int | None = None
    retry_on: date | None = None
    fallback: str | None = None  # a FallbackReason's value

    @property
    def done(self) -> bool:
        return self.status in CHARGE_DONE

    @classmethod
    def from_record(cls, raw: Mapping[str, Any]) -> ChargeRecord:
        return cls(
            attempt=int(raw.get("attempt", 1)),
            status=str(raw.get("status", "")),
            payment_ref=text(raw, "payment_ref"),
            failure_code=text(raw, "failure_code"),
            decline_code=text(raw, "decline_code"),
            at=moment(raw, "at"),
            next_attempt=int(raw["next_attempt"]) if raw.get("next_attempt") is not None else None,
            retry_on=day(raw, "retry_on"),
            fallback=text(raw, "fallback"),
        )

    def to_record(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attempt": self.attempt,
            "status": self.status,
            "payment_ref": self.payment_ref,
            "failure_code": self.failure_code,
            "decline_code": self.decline_code,
        }
        put(out, "at", self.at.isoformat() if self.at else None)
        if self.next_attempt is not None:
            out["next_attempt"] = self.next_attempt
            out["retry_on"] = self.retry_on.isoformat() if self.retry_on else None
        put(out, "fallback", self.fallback)
        return out


@dataclass(frozen=True)
class CreditNoteEntry:
    """A refund's credit note (`<invoice number>-K<n>`), and whether its email went out."""

    number: str
    amount: int
    issued_at: datetime
    emailed: bool = False
    # Claimed for sending since then by a delivery (taken over when stale: process_stripe_event)
    sending_since: datetime | None = None
    document: Mapping[str, Any] | None = None  # a whole refund's formal credit note (domain/credit)

    @classmethod
    def from_record(cls, raw: Mapping[str, Any]) -> CreditNoteEntry:
        emailed = raw.get("emailed")
        claimed = isinstance(emailed, str) and emailed.startswith(_CLAIM)
        document = raw.get("document")
        return cls(
            number=str(raw["number"]),
            amount=int(raw["amount"]),
            issued_at=datetime.fromisoformat(str(raw["issued_at"])),
            emailed=emailed is True,
            sending_since=datetime.fromisoformat(str(emailed).removeprefix(_CLAIM)) if claimed else None,
            document=dict(document) if isinstance(document, Mapping) else None,
        )

    def to_record(self) -> dict[str, Any]:
        emailed: bool | str = self.emailed
        if self.sending_since is not None and not self.emailed:
            emailed = f"{_CLAIM}{self.sending_since.isoformat()}"
        out: dict[str, Any] = {
            "number": self.number,
            "amount": self.amount,
            "issued_at": self.issued_at.isoformat(),
            "emailed": emailed,
        }
        put(out, "document", dict(self.document) if self.document is not None else None)
        return out


@dataclass(frozen=True)
class StripeInvoiceRecord:
    checkout: SessionRecord | None = None  # the Pay button's session
    setup: SessionRecord | None = None  # the "pay automatically" button's session
    payments_attempts: int = 0  # the highest Checkout attempt made
    refs: tuple[str, ...] = ()  # the Stripe ids made for it, newest last (at most 20)
    charge: ChargeRecord | None = None
    credit_notes: tuple[CreditNoteEntry, ...] = ()
    credited_total: int = 0  # minor units of refunds the credit notes cover
    autopay: str | None = None  # ACTIVE | STOPPED | None: never held by automatic payment
    autopay_at: datetime | None = None
    fallback: str | None = None  # why automatic payment stopped (a FallbackReason's value)
    other: Mapping[str, Any] = field(default_factory=dict)  # keys this type does not know, as stored

    @property
    def autopay_active(self) -> bool:
        return self.autopay == ACTIVE

    def with_autopay(self, status: str, now: datetime) -> StripeInvoiceRecord:
        """Marked ACTIVE (a usable mandate will charge it on the due date) or STOPPED; written when a
        mandate is saved, and at issue for an invoice of a customer who has one."""
        return replace(self, autopay=status, autopay_at=now)

    def stopped(self, reason: str) -> StripeInvoiceRecord:
        """Automatic payment stopped for this invoice, and why (a FallbackReason's value)."""
        return replace(self, autopay=STOPPED, fallback=reason)

    def with_ref(self, ref: str) -> StripeInvoiceRecord:
        return replace(self, refs=(*self.refs, ref)[-20:])

    @classmethod
    def from_record(cls, raw: Mapping[str, Any] | None) -> StripeInvoiceRecord:
        raw = raw or {}
        return cls(
            checkout=SessionRecord.from_record(raw["checkout"]) if raw.get("checkout") else None,
            setup=SessionRecord.from_record(raw["setup"]) if raw.get("setup") else None,
            payments_attempts=int(raw.get("payments_attempts", 0)),
            refs=tuple(str(r) for r in raw.get("refs") or ()),
            charge=ChargeRecord.from_record(raw["charge"]) if raw.get("charge") else None,
            credit_notes=tuple(CreditNoteEntry.from_record(n) for n in raw.get("credit_notes") or ()),
            credited_total=int(raw.get("credited_total", 0)),
            autopay=text(raw, "autopay"),
            autopay_at=moment(raw, "autopay_at"),
            fallback=text(raw, "fallback"),
            other=unknown(raw, cls),
        )

    def to_record(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.other)
        put(out, "checkout", self.checkout.to_record() if self.checkout else None)
        put(out, "setup", self.setup.to_record() if self.setup else None)
        if self.payments_attempts:
            out["payments_attempts"] = self.payments_attempts
        if self.refs:
            out["refs"] = list(self.refs)
        put(out, "charge", self.charge.to_record() if self.charge else None)
        if self.credit_notes:
            out["credit_notes"] = [n.to_record() for n in self.credit_notes]
        if self.credited_total:
            out["credited_total"] = self.credited_total
        put(out, "autopay", self.autopay)
        put(out, "autopay_at", self.autopay_at.isoformat() if self.autopay_at else None)
        put(out, "fallback", self.fallback)
        return out


def stripe_record(state: Mapping[str, Any]) -> StripeInvoiceRecord:
    """The Stripe record of an invoice's state (empty until the payments module first writes it)."""
    return StripeInvoiceRecord.from_record(state.get("stripe"))
