"""What Bankgirot's reports mean for our mandates and invoices.

Maps parsed report records to outcomes the services act on: a mandate approved, rejected or
cancelled; a payment settled, failed, waiting for a retry, refunded, cancelled or moved. Each
outcome that needs explaining carries a `Reason` with the Bankgirot code and the key of a sentence
the customer reads on the invoice page, worded in their language by the gettext catalogs. Matching
an outcome to an invoice is by payer number, amount and reference (`PaymentOutcome.matches`), since
reports re-pad references.

Mandate codes follow FORMAT.md §1.3.2 (information code, comment code); payment status codes
§8.2.3; rejection comment codes §8.4.3; amendment comment codes §8.5.3; refund reasons §8.2.3.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from billing.domain.autogiro.records import (
    AmendmentReportFile,
    AmendmentResult,
    AutogiroFile,
    BgMaxFile,
    DigitalMandate,
    DigitalMandateFile,
    Direction,
    MandateNotice,
    MandateNotificationFile,
    PaymentResult,
    PaymentSpecificationFile,
    PaymentStatus,
    Refund,
    RejectedPayment,
    RejectedPaymentsFile,
    same_reference,
)
from billing.domain.words import key


@dataclass(frozen=True)
class Reason:
    """A Bankgirot code and what it means for the customer: `message` is the sentence's key in the
    gettext catalogs (its English words), worded in the reader's language where it is shown."""

    code: str
    message: str


_OUR_ERROR = key(
    "The mandate could not be registered because of an error on our side. We will fix it and get back to you."
)

MANDATE_COMMENTS: dict[str, str] = {
    "02": key("The mandate was cancelled by you or your bank."),
    "03": key("This account cannot be used for Autogiro. Please choose another account."),
    "04": key("The mandate was not found at Bankgirot."),
    "05": key(
        "The account number or personal identity number does not match the bank's records. "
        "Please check them and try again."
    ),
    "07": key("Your bank did not answer the account inquiry, so the mandate was removed. Please try again."),
    "09": key("The bankgiro number to be debited does not exist."),
    "10": key("A mandate is already registered or is being checked."),
    "20": key("The personal identity or organisation number does not match the account."),
    "21": _OUR_ERROR,
    "23": key("The account number is wrong. Please check the clearing number and account number."),
    "29": _OUR_ERROR,
    "30": _OUR_ERROR,
    "32": key("The mandate is approved."),
    "33": key("The mandate has been cancelled."),
    "98": key("The mandate ended because the bankgiro number it debited was closed."),
}

_PAYEE_CLOSED = key("The mandate ended because our bankgiro number was closed. We will get in touch.")

PAYMENT_STATUSES: dict[PaymentStatus, str] = {
    PaymentStatus.APPROVED: key("The payment was debited from the account."),
    PaymentStatus.NO_FUNDS: key("The debit failed because there was not enough money in the account."),
    PaymentStatus.NO_CONNECTION: key(
        "The debit failed because the account is no longer connected to Autogiro."
    ),
    PaymentStatus.RETRY_PENDING: key(
        "There was not enough money in the account. The bank will try the debit again."
    ),
}

REJECTION_COMMENTS: dict[str, str] = {
    "01": key("The debit was not made because there is no approved Autogiro mandate."),
    "02": key("The debit was not made because the account is closed or not approved for Autogiro."),
    "24": key("The debit was not made because the amount exceeds the mandate's maximum amount."),
}
_REJECTED_BY_OUR_ERROR = key(
    "The debit was not made because of an error on our side. We will fix it and get back to you."
)

REFUND_REASONS: dict[str, str] = {
    "01": key("The payment was refunded by the bank: no mandate had been given."),
    "02": key("The payment was refunded by the bank: the mandate had been revoked."),
    "03": key("The payment was refunded by the bank: the amount was higher than could be expected."),
}


def _reason(code: str, message: str) -> Reason:
    return Reason(code=code, message=message)


# --- Mandates -------------------------------------------------------------------------------------


class MandateOutcomeKind(Enum):
    APPROVED = "approved"  # active: debits may be sent
    REJECTED = "rejected"  # our registration request was refused; the customer may try again
    CANCELLED = "cancelled"  # the mandate is gone (by us, the payer, the bank or Bankgirot)
    PAYER_NUMBER_CHANGED = "payer_number_changed"  # the new payer number is active
    PAYER_NUMBER_RETIRED = "payer_number_retired"  # the old payer number after a change
    REQUEST_FAILED = "request_failed"  # our cancellation or change was refused; the mandate stays
    UNKNOWN = "unknown"  # a code pair we do not know: for an operator to look at


@dataclass(frozen=True)
class MandateOutcome:
    payer_number: str
    kind: MandateOutcomeKind
    reason: Reason
    information_code: str
    comment_code: str | None
    action_date: date


_CANCELLED_COMMENTS = frozenset({"02", "07", "33", "98", "01", "06"})


def mandate_outcome(notice: MandateNotice) -> MandateOutcome:
    """What a TK73 means for the mandate with its payer number (FORMAT.md §1.3.2's table)."""
    info, comment = notice.information_code, notice.comment_code
    kind = MandateOutcomeKind.UNKNOWN
    if info == "10":
        # No comment code comes with it; byrokrat would call it an error, but the mandate is gone.
        message = _PAYEE_CLOSED
        kind = MandateOutcomeKind.CANCELLED
    else:
        message = MANDATE_COMMENTS.get(comment or "", key("Unknown answer from Bankgirot."))
        if info in ("04", "42") and comment == "32":
            kind = MandateOutcomeKind.APPROVED
        elif info == "05" and comment == "32":
            kind = MandateOutcomeKind.PAYER_NUMBER_CHANGED
        elif info == "05" and comment == "33":
            kind = MandateOutcomeKind.PAYER_NUMBER_RETIRED
        elif comment in _CANCELLED_COMMENTS and info in ("03", "43", "44", "46", "93"):
            kind = MandateOutcomeKind.CANCELLED
        elif info in ("04", "42", "43"):
            kind = MandateOutcomeKind.REJECTED
        elif info in ("03", "05"):
            kind = MandateOutcomeKind.REQUEST_FAILED
    code = f"{info}/{comment}" if comment else info
    return MandateOutcome(
        payer_number=notice.payer_number,
        kind=kind,
        reason=_reason(code, message),
        information_code=info,
        comment_code=comment,
        action_date=notice.action_date,
    )


# --- Payments -------------------------------------------------------------------------------------


class PaymentOutcomeKind(Enum):
    SETTLED = "settled"  # executed: the invoice is paid (or the pay-out made)
    FAILED = "failed"  # not executed and will not be: start the reminder flow
    RETRY_PENDING = "retry_pending"  # not executed yet; the bank tries again (omförsök)
    REFUNDED = "refunded"  # executed earlier, then taken back by the payer's bank
    REJECTED = "rejected"  # Bankgirot refused the order: not executed
    CANCELLED = "cancelled"  # our or the payer's cancellation went through
    MOVED = "moved"  # our date change went through
    AMENDMENT_FAILED = "amendment_failed"  # our cancellation or date change was not carried out


@dataclass(frozen=True)
class PaymentOutcome:
    kind: PaymentOutcomeKind
    direction: Direction | None
    payer_number: str | None
    payment_date: date | None
    amount_ore: int | None
    reference: str | None
    reason: Reason | None
    new_date: date | None = None

    def matches(self, *, payer_number: str, amount_ore: int, reference: str) -> bool:
        """True when this outcome is about the order with these values.

        BgMax reports carry no payer number; then amount and reference decide alone.
        """
        same_payer = self.payer_number is None or self.payer_number == payer_number.lstrip("0")
        return same_payer and self.amount_ore == amount_ore and same_reference(self.reference, reference)


def payment_outcome(result: PaymentResult) -> PaymentOutcome:
    """TK82/TK32 of the payment specification: settled, failed, or waiting for a retry."""
    kind = {
        PaymentStatus.APPROVED: PaymentOutcomeKind.SETTLED,
        PaymentStatus.NO_FUNDS: PaymentOutcomeKind.FAILED,
        PaymentStatus.NO_CONNECTION: PaymentOutcomeKind.FAILED,
        PaymentStatus.RETRY_PENDING: PaymentOutcomeKind.RETRY_PENDING,
    }[result.status]
    reason = (
        None
        if kind is PaymentOutcomeKind.SETTLED
        else _reason(result.status.value, PAYMENT_STATUSES[result.status])
    )
    return PaymentOutcome(
        kind=kind,
        direction=result.direction,
        payer_number=result.payer_number,
        payment_date=result.payment_date,
        amount_ore=result.amount_ore,
        reference=result.reference,
        reason=reason,
    )


def refund_outcome(refund: Refund) -> PaymentOutcome:
    """TK77: a debit we counted as paid was taken back; the invoice is open again."""
    message = REFUND_REASONS.get(
        refund.reason_code,
        key("The payment was refunded by the bank."),
    )
    return PaymentOutcome(
        kind=PaymentOutcomeKind.REFUNDED,
        direction=Direction.INCOMING,
        payer_number=refund.payer_number,
        payment_date=refund.original_payment_date,
        amount_ore=refund.amount_ore,
        reference=refund.reference,
        reason=_reason(refund.reason_code, message),
        new_date=refund.refund_date,
    )


def rejection_outcome(rejected: RejectedPayment) -> PaymentOutcome:
    """A rejected order: not executed. Codes the customer cannot act on read as our error."""
    message = REJECTION_COMMENTS.get(rejected.comment_code, _REJECTED_BY_OUR_ERROR)
    return PaymentOutcome(
        kind=PaymentOutcomeKind.REJECTED,
        direction=rejected.direction,
        payer_number=rejected.payer_number,
        payment_date=rejected.payment_date,
        amount_ore=rejected.amount_ore,
        reference=rejected.reference,
        reason=_reason(rejected.comment_code, message),
    )


def amendment_outcome(result: AmendmentResult) -> PaymentOutcome:
    """A record of the amendment report: cancelled, moved, or our request failed."""
    if result.succeeded:
        kind = PaymentOutcomeKind.CANCELLED if result.comment_code == "12" else PaymentOutcomeKind.MOVED
    else:
        kind = PaymentOutcomeKind.AMENDMENT_FAILED
    # Bankgirot's comment code is the operator's (it is in the import's report, FORMAT.md §8.5.3 says
    # what it means): the customer reads what happened to the payment.
    if result.transaction_code in ("03", "11", "21"):
        message = key("The payment was cancelled by the bank or Bankgirot.")
    elif kind is PaymentOutcomeKind.AMENDMENT_FAILED:
        message = key("The change to the payment could not be made.")
    elif kind is PaymentOutcomeKind.CANCELLED:
        message = key("The payment was cancelled.")
    else:
        message = key("The payment date was changed.")
    return PaymentOutcome(
        kind=kind,
        direction=result.direction,
        payer_number=result.payer_number,
        payment_date=result.payment_date,
        amount_ore=result.amount_ore or None,
        reference=result.reference,
        reason=Reason(code=result.comment_code, message=message),
        new_date=result.new_date,
    )


# --- Whole files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileOutcomes:
    """Everything a report asks us to do. Digital mandates need our answer (TK04) in a later file."""

    mandates: tuple[MandateOutcome, ...] = ()
    payments: tuple[PaymentOutcome, ...] = ()
    digital_mandates: tuple[DigitalMandate, ...] = ()


def outcomes_of(parsed: AutogiroFile) -> FileOutcomes:
    """The outcomes in a parsed report; request files and register extracts carry none."""
    if isinstance(parsed, MandateNotificationFile):
        return FileOutcomes(mandates=tuple(mandate_outcome(n) for n in parsed.notices()))
    if isinstance(parsed, PaymentSpecificationFile):
        payments = [payment_outcome(p) for p in parsed.payments()]
        payments += [refund_outcome(r) for r in parsed.refunds()]
        return FileOutcomes(payments=tuple(payments))
    if isinstance(parsed, RejectedPaymentsFile):
        return FileOutcomes(payments=tuple(rejection_outcome(p) for p in parsed.payments()))
    if isinstance(parsed, AmendmentReportFile):
        return FileOutcomes(payments=tuple(amendment_outcome(r) for r in parsed.results()))
    if isinstance(parsed, BgMaxFile):
        # BgMax reports executed debits only, and without the payer number.
        settled = (
            PaymentOutcome(
                kind=PaymentOutcomeKind.SETTLED,
                direction=Direction.INCOMING,
                payer_number=None,
                payment_date=section.deposit.payment_date,
                amount_ore=payment.amount_ore,
                reference=payment.reference,
                reason=None,
            )
            for section in parsed.sections
            for payment in section.payments
        )
        return FileOutcomes(payments=tuple(settled))
    if isinstance(parsed, DigitalMandateFile):
        return FileOutcomes(digital_mandates=parsed.mandates())
    return FileOutcomes()
