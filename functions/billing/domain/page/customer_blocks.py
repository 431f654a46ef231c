"""The invoice page's blocks about payment trouble, relief and the customer's own controls, as typed data.

Each block is built here from typed state the adapters gathered (the Stripe record, the dunning state,
the spend alert, the subscription) and rendered by its template partial (templates/blocks/), which the
page template includes in its place; the words are in the gettext catalogs. A block with nothing true
to say is None, and the page leaves it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from billing.domain.page.context import Instalment

# Relief is offered up front from a week before the due date, or once a reminder went out.
RELIEF_NEAR_DUE_DAYS = 7
_CLOSED = ("paid", "credited", "void")


class PaymentNoticeKind(StrEnum):
    ASK_CUSTOMER = "ask_customer"  # the customer's bank wants them to confirm the charge themselves
    FALLBACK = "fallback"  # automatic payment stopped: the invoice is an ordinary one again


@dataclass(frozen=True)
class PaymentNoticeBlock:
    """Automatic payment that did not go through; said right after the summary."""

    kind: PaymentNoticeKind


def payment_notice_block(
    *, status: str, credit_note: bool, charge_status: str | None, fallback: bool
) -> PaymentNoticeBlock | None:
    """The note for an invoice still to be paid whose charge needs the customer or stopped."""
    if status != "open" or credit_note:
        return None
    if charge_status == PaymentNoticeKind.ASK_CUSTOMER.value:
        return PaymentNoticeBlock(PaymentNoticeKind.ASK_CUSTOMER)
    if fallback:
        return PaymentNoticeBlock(PaymentNoticeKind.FALLBACK)
    return None


@dataclass(frozen=True)
class ReliefOffer:
    """What the customer may still choose on this invoice today (billing.domain.dunning.relief)."""

    can_move: bool
    can_split: bool
    due_date: date


@dataclass(frozen=True)
class ReliefBlock:
    """The relief the customer can still choose, a moved due date, or their instalment plan."""

    url: str
    plan: tuple[Instalment, ...] = ()
    moved: date | None = None
    offer: ReliefOffer | None = None
    # Early on (more than a week before the due date, no reminder yet) the offer is one line further
    # down the page, by the questions: there on request but not in the way.
    later: bool = False


def relief_block(
    *,
    status: str,
    credit_note: bool,
    instalment_of: bool,
    plan: tuple[Instalment, ...],
    moved: date | None,
    offer: ReliefOffer | None,
    reminded: bool,
    today: date,
    url: str,
) -> ReliefBlock | None:
    """The block, or None when there is nothing to say (closed invoices, credit notes, an instalment's
    own page, relief neither offered nor taken). `offer` is None when the policy offers nothing."""
    if credit_note or status in _CLOSED or instalment_of:
        return None
    if offer is not None and not (offer.can_move or offer.can_split):
        offer = None
    if not plan and moved is None and offer is None:
        return None
    timely = offer is not None and (reminded or offer.due_date - today <= timedelta(RELIEF_NEAR_DUE_DAYS))
    later = offer is not None and not plan and moved is None and not timely
    return ReliefBlock(url=url, plan=plan, moved=moved, offer=offer, later=later)


@dataclass(frozen=True)
class SpendAlertBlock:
    """The spend alert the customer set (or the merchant's default), and the form to change it."""

    url: str
    threshold: int | None  # minor units; None: no alert
    default: bool  # the threshold is the merchant's default, not the customer's choice
    incl_vat: bool  # the amount is compared with VAT (consumers) or without (businesses)
    fired_amount: int | None = None  # this period passed it already, at this amount

    @property
    def value(self) -> str:
        """The amount as the form shows it, as typed in Swedish: "500" or "499,50"."""
        if not self.threshold:
            return ""
        whole, cents = divmod(self.threshold, 100)
        return f"{whole},{cents:02d}" if cents else str(whole)


def spend_alert_block(
    *,
    url: str,
    chosen: bool,
    threshold: int | None,
    incl_vat: bool,
    fired_on: date | None,
    fired_amount: int | None,
    period_start: date | None,
) -> SpendAlertBlock:
    """`fired_on`/`fired_amount`: when the alert last went off; only this period's counts."""
    fired = fired_amount if fired_on is not None and fired_on == period_start else None
    return SpendAlertBlock(
        url=url,
        threshold=threshold or None,
        default=not chosen,
        incl_vat=incl_vat,
        fired_amount=fired if threshold else None,
    )


@dataclass(frozen=True)
class UsageDataBlock:
    """The download of the customer's usage, one month at a time."""

    url: str
    months: tuple[date, ...]


@dataclass(frozen=True)
class ExitBlock:
    """Step one of the honest exit: the link to its page, with the pause taken there, if any."""

    url: str
    pause_start: date | None = None
    pause_end: date | None = None


@dataclass(frozen=True)
class CustomerBlocks:
    """The blocks above, as the page shows them; all empty for a credit note."""

    payment_notice: PaymentNoticeBlock | None = None
    relief: ReliefBlock | None = None
    spend_alert: SpendAlertBlock | None = None
    usage_data: UsageDataBlock | None = None
    exit: ExitBlock | None = None
