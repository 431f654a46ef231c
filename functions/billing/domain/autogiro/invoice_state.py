"""An invoice's Autogiro state (`state["autogiro"]`), typed: the mandate's status as the invoice knows
it, the debit date told to the payer, the debit ordered, settled, failed or taken back, and the charge
attempts the reminder flow reads. Written by billing.services.autogiro alone; read by the page, the card
collector, the payment controls and the reminders.

Read from and written to the stored JSON here alone, in the shape stored before it had a type (the same
keys), so every state stored earlier reads unchanged; a key this type does not know is kept as it was.
Each change a flow makes is a method here, so what a flow does to the state is named once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from billing.domain.autogiro.outcomes import Reason
from billing.domain.stored import day, put, text, unknown

APPROVED = "approved"
PENDING = "pending"
WAITING = ("pending", "sent")  # given, not yet approved by Bankgirot
IN_FORCE = ("pending", "sent", "approved")  # given and not ended

# The attempt outcomes the reminder flow reads (billing.services.dunning.state.mandate_attempts).
ATTEMPT_PENDING, ATTEMPT_FAILED, ATTEMPT_SUCCEEDED = "pending", "failed", "succeeded"

_REASON_KEYS = ("code", "message", "sv", "en")


@dataclass(frozen=True)
class StoredReason:
    """Bankgirot's reason as stored: its code and the sentence's catalog key (`message`). A reason stored
    before the catalogs held these sentences has the words themselves (`sv`, `en`) instead."""

    code: str | None = None
    message: str | None = None
    sv: str | None = None
    en: str | None = None

    @classmethod
    def of(cls, reason: Reason | None) -> StoredReason | None:
        return None if reason is None else cls(reason.code, reason.message)

    @classmethod
    def from_record(cls, raw: Mapping[str, Any] | None) -> StoredReason | None:
        if not raw or not any(raw.get(k) is not None for k in _REASON_KEYS):
            return None
        return cls(*(text(raw, k) for k in _REASON_KEYS))

    def to_record(self) -> dict[str, str]:
        return {k: v for k in _REASON_KEYS if (v := getattr(self, k)) is not None}


@dataclass(frozen=True)
class MandateNote:
    """The customer's mandate as this invoice last heard of it."""

    status: str  # billing.services.autogiro.MandateStatus's value
    reason: StoredReason | None = None

    @classmethod
    def from_record(cls, raw: Mapping[str, Any]) -> MandateNote:
        reason = raw.get("reason")
        return cls(
            str(raw.get("status")), StoredReason.from_record(reason if isinstance(reason, Mapping) else None)
        )

    def to_record(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason.to_record() if self.reason else None}


@dataclass(frozen=True)
class Debit:
    """A debit of the invoice: ordered in a file (`file`), settled, failed (`kind`: failed, rejected or
    cancelled) or taken back by the payer's bank, on `payment_date`, with Bankgirot's reason if any.
    A failure stored by the first versions has its reason's words alone, no date."""

    payment_date: date | None
    amount: int | None = None  # öre
    file: str | None = None
    kind: str | None = None
    reason: StoredReason | None = None

    @classmethod
    def from_record(cls, raw: Mapping[str, Any]) -> Debit:
        amount = raw.get("amount")
        return cls(
            payment_date=day(raw, "payment_date"),
            amount=None if amount is None else int(amount),
            file=text(raw, "file"),
            kind=text(raw, "kind"),
            reason=StoredReason.from_record(raw),  # stored beside the date, not nested
        )

    def to_record(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        put(out, "file", self.file)
        put(out, "payment_date", self.payment_date.isoformat() if self.payment_date else None)
        put(out, "kind", self.kind)
        put(out, "amount", self.amount)
        return {**out, **(self.reason.to_record() if self.reason else {})}


@dataclass(frozen=True)
class DebitAttempt:
    """One charge of the invoice on the mandate, in the shape every mandate module records it."""

    attempt: int
    on: date
    outcome: str  # ATTEMPT_PENDING | ATTEMPT_FAILED | ATTEMPT_SUCCEEDED

    def to_record(self) -> dict[str, Any]:
        return {"attempt": self.attempt, "on": self.on.isoformat(), "outcome": self.outcome}


@dataclass(frozen=True)
class AutogiroInvoiceState:
    mandate: MandateNote | None = None
    active: bool = False  # the debit date holds: the card collector and the reminders leave it alone
    debit_date: date | None = None
    notified_on: date | None = None  # the day the payer was told the debit date
    payer_number: str | None = None
    sent: Debit | None = None  # ordered in a file, waiting for Bankgirot's report
    settled: Debit | None = None
    failed: Debit | None = None  # the reminder flow decides whether to debit again
    reversed: Debit | None = None  # a settled debit the payer's bank took back (TK77)
    attempts: tuple[DebitAttempt, ...] = ()
    other: Mapping[str, Any] = field(default_factory=dict)  # keys this type does not know, as stored

    @property
    def mandate_status(self) -> str | None:
        return self.mandate.status if self.mandate else None

    @property
    def in_force(self) -> bool:
        """Automatic payment holds the invoice: a mandate given and not ended, no debit failed."""
        return self.mandate_status in IN_FORCE and self.failed is None

    @property
    def waiting(self) -> bool:
        """A mandate is given and not yet approved, and no debit date is set for the invoice yet."""
        return self.mandate_status in WAITING and self.debit_date is None and self.failed is None

    # what each flow does to it --------------------------------------------------------------------

    def with_mandate(self, status: str, reason: StoredReason | None = None) -> AutogiroInvoiceState:
        """The mandate was given on the page, answered by Bankgirot or ended."""
        return replace(self, mandate=MandateNote(status, reason))

    def announced(self, payer_number: str, debit_date: date, today: date) -> AutogiroInvoiceState:
        """The debit date is decided and told to the payer (by the invoice email at issue, or by the
        export for an invoice that was open when the mandate came); a failed debit is behind it."""
        return replace(
            self,
            mandate=MandateNote(APPROVED),
            active=True,
            debit_date=debit_date,
            notified_on=today,
            payer_number=payer_number,
            failed=None,
        )

    def withdrawn(self, status: str, reason: StoredReason | None) -> AutogiroInvoiceState:
        """The mandate ended after the debit date was told and before the debit was ordered."""
        return replace(
            self, mandate=MandateNote(status, reason), active=False, debit_date=None, notified_on=None
        )

    def ordered(self, file: str, payment_date: date, amount: int) -> AutogiroInvoiceState:
        """The debit is in a file: sent, and a pending charge attempt."""
        attempt = DebitAttempt(len(self.attempts) + 1, payment_date, ATTEMPT_PENDING)
        sent = Debit(payment_date, amount=amount, file=file)
        return replace(self, sent=sent, attempts=(*self.attempts, attempt))

    def settled_by(self, payment_date: date, amount: int | None) -> AutogiroInvoiceState:
        return replace(
            self,
            failed=None,
            settled=Debit(payment_date, amount=amount),
            attempts=self._last_pending_became(ATTEMPT_SUCCEEDED),
        )

    def taken_back(
        self, payment_date: date, amount: int | None, reason: Reason | None
    ) -> AutogiroInvoiceState:
        return replace(self, reversed=Debit(payment_date, amount=amount, reason=StoredReason.of(reason)))

    def debit_failed(self, payment_date: date, kind: str, reason: Reason | None) -> AutogiroInvoiceState:
        """The debit will not be made: its date no longer holds, and the page must not promise it."""
        return replace(
            self,
            debit_date=None,
            sent=None,
            failed=Debit(payment_date, kind=kind, reason=StoredReason.of(reason)),
            attempts=self._last_pending_became(ATTEMPT_FAILED),
        )

    def _last_pending_became(self, outcome: str) -> tuple[DebitAttempt, ...]:
        attempts = list(self.attempts)
        for index in range(len(attempts) - 1, -1, -1):
            if attempts[index].outcome == ATTEMPT_PENDING:
                attempts[index] = replace(attempts[index], outcome=outcome)
                break
        return tuple(attempts)

    # stored shape ----------------------------------------------------------------------------------

    @classmethod
    def from_record(cls, raw: Mapping[str, Any] | None) -> AutogiroInvoiceState:
        raw = raw or {}

        def debit(name: str) -> Debit | None:
            value = raw.get(name)
            return Debit.from_record(value) if isinstance(value, Mapping) and value else None

        mandate = raw.get("mandate")
        return cls(
            mandate=MandateNote.from_record(mandate) if isinstance(mandate, Mapping) and mandate else None,
            active=bool(raw.get("active")),
            debit_date=day(raw, "debit_date"),
            notified_on=day(raw, "notified_on"),
            payer_number=text(raw, "payer_number"),
            sent=debit("sent"),
            settled=debit("settled"),
            failed=debit("failed"),
            reversed=debit("reversed"),
            attempts=tuple(
                DebitAttempt(int(a["attempt"]), date.fromisoformat(str(a["on"])), str(a["outcome"]))
                for a in raw.get("attempts") or ()
                if isinstance(a, Mapping)
            ),
            other=unknown(raw, cls),
        )

    def to_record(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.other)
        put(out, "mandate", self.mandate.to_record() if self.mandate else None)
        put(out, "active", True if self.active else None)
        put(out, "debit_date", self.debit_date.isoformat() if self.debit_date else None)
        put(out, "notified_on", self.notified_on.isoformat() if self.notified_on else None)
        put(out, "payer_number", self.payer_number)
        for name in ("sent", "settled", "failed", "reversed"):
            debit: Debit | None = getattr(self, name)
            put(out, name, debit.to_record() if debit else None)
        if self.attempts:
            out["attempts"] = [a.to_record() for a in self.attempts]
        return out


def autogiro_invoice_state(state: Mapping[str, Any]) -> AutogiroInvoiceState:
    """The Autogiro part of an invoice's state (empty until the Autogiro module first writes it)."""
    return AutogiroInvoiceState.from_record(state.get("autogiro"))
