"""Decides what goes into one day's Autogiro request file.

Pure: the caller passes what is pending (new mandates from the invoice page, answers to internet-bank
mandates, mandate cancellations, debits of invoices with an approved mandate, pay-outs, debits to
cancel) and the moment the file is written; `plan_request_file` returns a `RequestPlan` that says
which records go into the file and which items were held back or refused, each with its reason.
`RequestPlan.to_request_file()` gives the `RequestFile` for `writer.write_request_file`.

The rules:
* a debit goes out when its debit date is at most `lookahead_banking_days` banking days away,
  the customer was told the date at least 8 banking days before it, and Bankgirot's deadline
  (19:00 Swedish time the banking day before) is still ahead, with `safety_margin` to spare for
  the transport; a debit date that is not a banking day moves to the next banking day;
* a debit whose deadline has passed is refused, not moved: the customer was told that date, so a
  new date needs a new notice (the caller re-plans the invoice);
* nothing is sent for a payer whose mandate is created or cancelled in the same file, and a
  mandate and its own cancellation are never sent on the same day (manual §6.1.1): the
  cancellation waits for the next file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum

from billing.domain.autogiro.bankdays import (
    NOTICE_BANKING_DAYS,
    add_banking_days,
    banking_days_between,
    next_banking_day,
    stockholm_date,
    submission_deadline,
)
from billing.domain.autogiro.records import (
    AmendmentRequest,
    BankAccount,
    CancelMandate,
    CancelPayment,
    CreateMandate,
    Direction,
    MandateRequest,
    PaymentOrder,
    RejectDigitalMandate,
    RequestFile,
    RequestOpening,
)
from billing.domain.autogiro.writer import MAX_AMOUNT_ORE, build_request_file, write_request_file

DEFAULT_LOOKAHEAD_BANKING_DAYS = 5


@dataclass(frozen=True)
class AutogiroPayee:
    """Our Autogiro agreement: Bankgirot customer number and the payee bankgiro number."""

    customer_number: str
    bankgiro: str


@dataclass(frozen=True)
class NewMandate:
    """A mandate the customer gave on the invoice page, not yet sent (TK04 with account)."""

    payer_number: str
    account: BankAccount
    identity: str  # 12-position Autogiro form, see validation.autogiro_identity


@dataclass(frozen=True)
class DigitalMandateAnswer:
    """Our answer to a mandate given in the internet bank (TK04, blank or `AV`)."""

    payer_number: str
    approve: bool


@dataclass(frozen=True)
class MandateCancellation:
    """A mandate to remove (TK03), e.g. the customer left Autogiro."""

    payer_number: str


@dataclass(frozen=True)
class DueDebit:
    """An invoice to debit: `debit_date` is the date the customer was told, on `notified_on`."""

    invoice_id: str
    payer_number: str
    amount_ore: int
    debit_date: date
    notified_on: date
    reference: str


@dataclass(frozen=True)
class DuePayout:
    """Money to pay out to a payer (TK32), e.g. a refund of an overpayment."""

    payout_id: str
    payer_number: str
    amount_ore: int
    payout_date: date
    reference: str


@dataclass(frozen=True)
class DebitToCancel:
    """A debit already sent that must not happen (TK25), e.g. the invoice was credited."""

    invoice_id: str
    payer_number: str
    payment_date: date
    amount_ore: int
    reference: str


class HoldReason(Enum):
    """Why an item is not in today's file."""

    NOT_YET = "not yet within the sending window"
    NEXT_FILE = "waits for the next file"
    DEADLINE_PASSED = "Bankgirot's deadline for the debit date has passed"
    NOTICE_TOO_SHORT = "the customer was told the debit date too late"
    MANDATE_CHANGING = "the payer's mandate is created or cancelled in this file"
    INVALID = "invalid"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Held:
    """An item left out of the file: `item_id` is the invoice, pay-out or payer number."""

    item_id: str
    reason: HoldReason
    detail: str

    @property
    def refused(self) -> bool:
        """True when waiting will not help: the caller must change something."""
        return self.reason not in (HoldReason.NOT_YET, HoldReason.NEXT_FILE)


@dataclass(frozen=True)
class PlannedDebit:
    """A debit in the file, with the invoice it collects."""

    invoice_id: str
    order: PaymentOrder


@dataclass(frozen=True)
class RequestPlan:
    opening: RequestOpening
    mandates: tuple[MandateRequest, ...] = ()
    amendments: tuple[AmendmentRequest, ...] = ()
    debits: tuple[PlannedDebit, ...] = ()
    payouts: tuple[tuple[str, PaymentOrder], ...] = ()
    held: tuple[Held, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not (self.mandates or self.amendments or self.debits or self.payouts)

    def write(self, *, check_digits: bool = True) -> bytes:
        """The request file as Bankgirot wants it (ISO-8859-1, CRLF); unsealed.

        Raises AutogiroWriteError for an empty plan (check `is_empty` first) or a bad record.
        """
        return write_request_file(self.to_request_file(), check_digits=check_digits)

    def to_request_file(self) -> RequestFile:
        payments = [d.order for d in self.debits] + [order for _, order in self.payouts]
        return build_request_file(
            self.opening, mandates=self.mandates, amendments=self.amendments, payments=payments
        )


def plan_request_file(
    *,
    now: datetime,
    payee: AutogiroPayee,
    new_mandates: Iterable[NewMandate] = (),
    digital_answers: Iterable[DigitalMandateAnswer] = (),
    cancellations: Iterable[MandateCancellation] = (),
    debits: Iterable[DueDebit] = (),
    payouts: Iterable[DuePayout] = (),
    debits_to_cancel: Iterable[DebitToCancel] = (),
    lookahead_banking_days: int = DEFAULT_LOOKAHEAD_BANKING_DAYS,
    safety_margin: timedelta = timedelta(0),
) -> RequestPlan:
    """Plan the request file written at `now` (timezone-aware). See the module docstring."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = stockholm_date(now)
    window_end = add_banking_days(today, lookahead_banking_days)
    held: list[Held] = []

    mandates: list[MandateRequest] = []
    created: set[str] = set()
    for mandate in new_mandates:
        if mandate.payer_number in created:
            held.append(Held(mandate.payer_number, HoldReason.DUPLICATE, "the mandate is listed twice"))
            continue
        created.add(mandate.payer_number)
        mandates.append(CreateMandate(mandate.payer_number, mandate.account, mandate.identity))
    for answer in digital_answers:
        if answer.payer_number in created:
            held.append(Held(answer.payer_number, HoldReason.DUPLICATE, "the mandate is answered twice"))
            continue
        created.add(answer.payer_number)
        mandates.append(
            CreateMandate(answer.payer_number)
            if answer.approve
            else RejectDigitalMandate(answer.payer_number)
        )
    cancelled: set[str] = set()
    for cancellation in cancellations:
        payer = cancellation.payer_number
        if payer in created:
            held.append(
                Held(
                    payer, HoldReason.NEXT_FILE, "a mandate and its cancellation may not be sent the same day"
                )
            )
        elif payer not in cancelled:
            cancelled.add(payer)
            mandates.append(CancelMandate(payer))
    changing = created | cancelled

    amendments: list[AmendmentRequest] = []
    cancelled_debits: set[tuple[str, date, int]] = set()
    for to_cancel in debits_to_cancel:
        key = (to_cancel.payer_number, to_cancel.payment_date, to_cancel.amount_ore)
        if to_cancel.payer_number in changing:
            held.append(
                Held(to_cancel.invoice_id, HoldReason.NEXT_FILE, "the payer's mandate changes in this file")
            )
            continue
        if key in cancelled_debits:
            continue
        cancelled_debits.add(key)
        amendments.append(
            CancelPayment(
                to_cancel.payer_number,
                to_cancel.payment_date,
                to_cancel.amount_ore,
                Direction.INCOMING,
                to_cancel.reference,
            )
        )

    planned: list[PlannedDebit] = []
    seen: set[str] = set()
    for debit in sorted(debits, key=lambda d: (d.debit_date, d.invoice_id)):
        payment_day = next_banking_day(debit.debit_date)
        problem = _debit_problem(debit, payment_day, seen, changing, cancelled_debits)
        if problem is not None:
            held.append(problem)
            continue
        seen.add(debit.invoice_id)
        if payment_day > window_end:
            send_from = add_banking_days(payment_day, -lookahead_banking_days)
            held.append(Held(debit.invoice_id, HoldReason.NOT_YET, f"goes out from {send_from.isoformat()}"))
            continue
        deadline = submission_deadline(payment_day)
        if now + safety_margin >= deadline:
            held.append(
                Held(
                    debit.invoice_id,
                    HoldReason.DEADLINE_PASSED,
                    f"the order for {payment_day.isoformat()} had to reach Bankgirot by "
                    f"{deadline.isoformat(timespec='minutes')}; tell the customer a new date",
                )
            )
            continue
        order = PaymentOrder(
            direction=Direction.INCOMING,
            payment_date=payment_day,
            payer_number=debit.payer_number,
            amount_ore=debit.amount_ore,
            reference=debit.reference,
        )
        planned.append(PlannedDebit(debit.invoice_id, order))

    planned_payouts: list[tuple[str, PaymentOrder]] = []
    for payout in sorted(payouts, key=lambda p: (p.payout_date, p.payout_id)):
        payment_day = next_banking_day(max(payout.payout_date, today))
        if not 1 <= payout.amount_ore <= MAX_AMOUNT_ORE:
            held.append(Held(payout.payout_id, HoldReason.INVALID, f"amount {payout.amount_ore} öre"))
            continue
        if payout.payer_number in changing:
            held.append(
                Held(payout.payout_id, HoldReason.MANDATE_CHANGING, "the payer's mandate changes today")
            )
            continue
        if payment_day > window_end:
            held.append(Held(payout.payout_id, HoldReason.NOT_YET, "outside the sending window"))
            continue
        if now + safety_margin >= submission_deadline(payment_day):
            payment_day = next_banking_day(payment_day, include_today=False)
        order = PaymentOrder(
            direction=Direction.OUTGOING,
            payment_date=payment_day,
            payer_number=payout.payer_number,
            amount_ore=payout.amount_ore,
            reference=payout.reference,
        )
        planned_payouts.append((payout.payout_id, order))

    return RequestPlan(
        opening=RequestOpening(today, payee.customer_number, payee.bankgiro),
        mandates=tuple(mandates),
        amendments=tuple(amendments),
        debits=tuple(planned),
        payouts=tuple(planned_payouts),
        held=tuple(held),
    )


def _debit_problem(
    debit: DueDebit,
    payment_day: date,
    seen: set[str],
    changing: set[str],
    cancelled_debits: set[tuple[str, date, int]],
) -> Held | None:
    if debit.invoice_id in seen:
        return Held(debit.invoice_id, HoldReason.DUPLICATE, "the invoice is listed twice")
    if not 1 <= debit.amount_ore <= MAX_AMOUNT_ORE:
        return Held(debit.invoice_id, HoldReason.INVALID, f"amount {debit.amount_ore} öre cannot be debited")
    if debit.payer_number in changing:
        return Held(debit.invoice_id, HoldReason.MANDATE_CHANGING, "the payer's mandate changes in this file")
    if (debit.payer_number, payment_day, debit.amount_ore) in cancelled_debits:
        return Held(debit.invoice_id, HoldReason.NEXT_FILE, "a debit like it is cancelled in this file")
    notice = banking_days_between(debit.notified_on, payment_day)
    if notice < NOTICE_BANKING_DAYS:
        return Held(
            debit.invoice_id,
            HoldReason.NOTICE_TOO_SHORT,
            f"told on {debit.notified_on.isoformat()}, {notice} banking days before "
            f"{payment_day.isoformat()}; at least {NOTICE_BANKING_DAYS} are needed",
        )
    return None
