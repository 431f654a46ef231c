"""What Bankgirot's reports mean for our mandates and invoices.

Maps parsed report records to outcomes the services act on: a mandate approved, rejected or
cancelled; a payment settled, failed, waiting for a retry, refunded, cancelled or moved. Each
outcome that needs explaining carries a `Reason` with the Bankgirot code and a sentence the
customer can read on the invoice page, in Swedish and English. Matching an outcome to an invoice
is by payer number, amount and reference (`PaymentOutcome.matches`), since reports re-pad
references.

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


@dataclass(frozen=True)
class Reason:
    """A Bankgirot code and what it means, for the customer, in Swedish and English."""

    code: str
    sv: str
    en: str


_OUR_ERROR = (
    "Medgivandet kunde inte registreras på grund av ett fel hos oss. Vi rättar det och hör av oss.",
    "The mandate could not be registered because of an error on our side. "
    "We will fix it and get back to you.",
)

MANDATE_COMMENTS: dict[str, tuple[str, str]] = {
    "02": (
        "Medgivandet har återkallats av dig eller din bank.",
        "The mandate was cancelled by you or your bank.",
    ),
    "03": (
        "Kontot kan inte användas för autogiro. Välj ett annat konto.",
        "This account cannot be used for Autogiro. Please choose another account.",
    ),
    "04": ("Medgivandet fanns inte hos Bankgirot.", "The mandate was not found at Bankgirot."),
    "05": (
        "Kontonumret eller personnumret stämmer inte med bankens uppgifter. Kontrollera och försök igen.",
        "The account number or personal identity number does not match the bank's records. "
        "Please check them and try again.",
    ),
    "07": (
        "Din bank svarade inte på förfrågan om kontot, så medgivandet togs bort. Försök gärna igen.",
        "Your bank did not answer the account inquiry, so the mandate was removed. Please try again.",
    ),
    "09": (
        "Bankgironumret som ska belastas finns inte.",
        "The bankgiro number to be debited does not exist.",
    ),
    "10": (
        "Det finns redan ett medgivande, eller så håller det på att kontrolleras.",
        "A mandate is already registered or is being checked.",
    ),
    "20": (
        "Person- eller organisationsnumret stämmer inte med kontot.",
        "The personal identity or organisation number does not match the account.",
    ),
    "21": _OUR_ERROR,
    "23": (
        "Kontonumret är felaktigt. Kontrollera clearingnummer och kontonummer.",
        "The account number is wrong. Please check the clearing number and account number.",
    ),
    "29": _OUR_ERROR,
    "30": _OUR_ERROR,
    "32": ("Medgivandet är godkänt.", "The mandate is approved."),
    "33": ("Medgivandet är avslutat.", "The mandate has been cancelled."),
    "98": (
        "Medgivandet avslutades eftersom bankgironumret som belastades har stängts.",
        "The mandate ended because the bankgiro number it debited was closed.",
    ),
}

_PAYEE_CLOSED = (
    "Medgivandet avslutades eftersom vårt bankgironummer har stängts. Vi hör av oss.",
    "The mandate ended because our bankgiro number was closed. We will get in touch.",
)

PAYMENT_STATUSES: dict[PaymentStatus, tuple[str, str]] = {
    PaymentStatus.APPROVED: (
        "Betalningen är dragen från kontot.",
        "The payment was debited from the account.",
    ),
    PaymentStatus.NO_FUNDS: (
        "Dragningen kunde inte göras eftersom det inte fanns tillräckligt med pengar på kontot.",
        "The debit failed because there was not enough money in the account.",
    ),
    PaymentStatus.NO_CONNECTION: (
        "Dragningen kunde inte göras eftersom kontot inte längre är anslutet till autogiro.",
        "The debit failed because the account is no longer connected to Autogiro.",
    ),
    PaymentStatus.RETRY_PENDING: (
        "Det fanns inte tillräckligt med pengar på kontot. Banken försöker dra beloppet igen.",
        "There was not enough money in the account. The bank will try the debit again.",
    ),
}

REJECTION_COMMENTS: dict[str, tuple[str, str]] = {
    "01": (
        "Dragningen gjordes inte eftersom det saknas ett godkänt autogiromedgivande.",
        "The debit was not made because there is no approved Autogiro mandate.",
    ),
    "02": (
        "Dragningen gjordes inte eftersom kontot är avslutat eller inte godkänt för autogiro.",
        "The debit was not made because the account is closed or not approved for Autogiro.",
    ),
    "24": (
        "Dragningen gjordes inte eftersom beloppet är högre än medgivandets maxbelopp.",
        "The debit was not made because the amount exceeds the mandate's maximum amount.",
    ),
}
_REJECTED_BY_OUR_ERROR = (
    "Dragningen gjordes inte på grund av ett fel hos oss. Vi rättar det och hör av oss.",
    "The debit was not made because of an error on our side. We will fix it and get back to you.",
)
REJECTION_CODE_TEXTS_EN: dict[str, str] = {
    "01": "mandate missing",
    "02": "account not approved or closed",
    "06": "wrong period code",
    "07": "wrong number of self-renewing payments",
    "08": "amount not numeric",
    "09": "pay-outs not allowed",
    "10": "bankgiro number not found",
    "12": "wrong payment date",
    "13": "payment date has passed",
    "15": "payee bankgiro differs between TK01 and the record",
    "24": "amount exceeds the maximum amount",
}

REFUND_REASONS: dict[str, tuple[str, str]] = {
    "01": (
        "Betalningen har återbetalats av banken: inget medgivande fanns.",
        "The payment was refunded by the bank: no mandate had been given.",
    ),
    "02": (
        "Betalningen har återbetalats av banken: medgivandet var återkallat.",
        "The payment was refunded by the bank: the mandate had been revoked.",
    ),
    "03": (
        "Betalningen har återbetalats av banken: beloppet var högre än väntat.",
        "The payment was refunded by the bank: the amount was higher than could be expected.",
    ),
}

AMENDMENT_COMMENTS_EN: dict[str, str] = {
    "01": "wrong payment date",
    "02": "wrong payer number",
    "04": "wrong debit code",
    "05": "wrong amount",
    "06": "wrong new payment date",
    "10": "wrong payee bankgiro number (check digit)",
    "11": "payee bankgiro number missing",
    "12": "cancelled",
    "13": "payment not found, not handled",
    "14": "payment date changed",
    "15": "not changed: self-renewing order",
    "18": "payment date changed",
}


def _reason(code: str, texts: tuple[str, str]) -> Reason:
    return Reason(code=code, sv=texts[0], en=texts[1])


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
        texts = _PAYEE_CLOSED
        kind = MandateOutcomeKind.CANCELLED
    else:
        texts = MANDATE_COMMENTS.get(
            comment or "", ("Okänt besked från Bankgirot.", "Unknown answer from Bankgirot.")
        )
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
        reason=_reason(code, texts),
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
    texts = REFUND_REASONS.get(
        refund.reason_code,
        ("Betalningen har återbetalats av banken.", "The payment was refunded by the bank."),
    )
    return PaymentOutcome(
        kind=PaymentOutcomeKind.REFUNDED,
        direction=Direction.INCOMING,
        payer_number=refund.payer_number,
        payment_date=refund.original_payment_date,
        amount_ore=refund.amount_ore,
        reference=refund.reference,
        reason=_reason(refund.reason_code, texts),
        new_date=refund.refund_date,
    )


def rejection_outcome(rejected: RejectedPayment) -> PaymentOutcome:
    """A rejected order: not executed. Codes the customer cannot act on read as our error."""
    texts = REJECTION_COMMENTS.get(rejected.comment_code, _REJECTED_BY_OUR_ERROR)
    return PaymentOutcome(
        kind=PaymentOutcomeKind.REJECTED,
        direction=rejected.direction,
        payer_number=rejected.payer_number,
        payment_date=rejected.payment_date,
        amount_ore=rejected.amount_ore,
        reference=rejected.reference,
        reason=_reason(rejected.comment_code, texts),
    )


def amendment_outcome(result: AmendmentResult) -> PaymentOutcome:
    """A record of the amendment report: cancelled, moved, or our request failed."""
    if result.succeeded:
        kind = PaymentOutcomeKind.CANCELLED if result.comment_code == "12" else PaymentOutcomeKind.MOVED
    else:
        kind = PaymentOutcomeKind.AMENDMENT_FAILED
    text_en = AMENDMENT_COMMENTS_EN.get(result.comment_code, "unknown comment code")
    if result.transaction_code in ("03", "11", "21"):
        sv = "Betalningen har makulerats av banken eller Bankgirot."
        en = f"The payment was cancelled by the bank or Bankgirot ({text_en})."
    elif kind is PaymentOutcomeKind.AMENDMENT_FAILED:
        sv = "Ändringen av betalningen kunde inte göras."
        en = f"The change to the payment could not be made: {text_en}."
    elif kind is PaymentOutcomeKind.CANCELLED:
        sv, en = "Betalningen är makulerad.", "The payment was cancelled."
    else:
        sv, en = "Betalningsdagen är ändrad.", "The payment date was changed."
    return PaymentOutcome(
        kind=kind,
        direction=result.direction,
        payer_number=result.payer_number,
        payment_date=result.payment_date,
        amount_ore=result.amount_ore or None,
        reference=result.reference,
        reason=Reason(code=result.comment_code, sv=sv, en=en),
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
