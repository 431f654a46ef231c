"""The invoice page's view-model: only what the page and the email show, as plain data.

Money is integer minor units in the view's `currency`; dates are dates; quantities are Decimals. The
renderer formats them for the reader's locale and picks the words from the translation catalogs, so
the view carries facts and kinds ("status: overdue", "plan fit: save"), never sentences of ours.
A block that has nothing true to say is None (or empty), and the template leaves it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from billing.domain.invoice import Party
from billing.domain.page.chart import ChartView
from billing.domain.page.context import AutogiroNoticeKind, Branding, CreditNoteRef, PlanSwitchQuote
from billing.domain.page.customer_blocks import CustomerBlocks


class PageStatus(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    OVERDUE = "overdue"
    DEBIT_SCHEDULED = "debit_scheduled"  # automatic payment will take it on `debit_date`
    AUTOPAY_PENDING = "autopay_pending"  # a mandate is given, waiting for approval; then it is debited
    CREDIT = "credit"  # a credit note: nothing to pay


@dataclass(frozen=True)
class AutogiroNoticeView:
    """The Autogiro notice: its kind, and Bankgirot's reason if it gave one: the catalog key of its
    sentence (`message`, worded by the template), or words stored in the reader's language."""

    kind: AutogiroNoticeKind
    reason: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class SummaryView:
    status: PageStatus
    amount_due: int  # what is left to pay now (0 when paid)
    total: int  # the invoice total incl. VAT
    amount_paid: int
    due_date: date
    paid_on: date | None
    debit_date: date | None
    days_overdue: int
    bankgiro: str | None
    ocr: str | None
    pay_url: str | None  # None when there is nothing to pay
    # A split invoice: the part to pay now (its amount, due date and OCR are the ones above) of how many.
    instalment: int | None = None
    instalments: int = 0
    credit_notes: tuple[CreditNoteRef, ...] = ()  # refunds on this invoice, oldest first
    # The automatic payment in force ("card", "autogiro") and what the customer can do about it: stop it
    # (a form to `autopay_stop_url`) or change it (the other methods the tenant offers).
    autopay_method: str | None = None
    autopay_stop_url: str | None = None
    autopay_change: tuple[tuple[str, str], ...] = ()
    payment_notice: AutogiroNoticeView | None = None

    @property
    def payable(self) -> bool:
        return self.status in (PageStatus.UNPAID, PageStatus.OVERDUE) and self.amount_due > 0


@dataclass(frozen=True)
class LineView:
    line_id: str
    kind: str
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal  # minor units, may be fractional
    amount: int
    vat_rate: str
    proration: str | None
    is_usage: bool  # shown as "12.4 GB, 59 kr"
    # As the reader is shown them (billing.domain.page.prices): incl. VAT for a consumer, else
    # the invoice's own excl.-VAT figures (`amount`, `unit_price`).
    shown_amount: int = 0
    shown_unit_price: Decimal = Decimal(0)
    # The period the line is for: usage is billed in arrears, so a usage line's period is the one
    # before the invoice's (None on lines without a period).
    period_start: date | None = None
    period_last_day: date | None = None

    @property
    def is_nil(self) -> bool:
        """Nothing used and nothing charged ("0 min of calls abroad, 0 kr"): the page leaves it out;
        the PDF, the legal copy, keeps every line."""
        return self.amount == 0 and self.quantity == 0


@dataclass(frozen=True)
class LineGroupView:
    name: str  # the service group; "" for lines without one
    lines: tuple[LineView, ...]
    amount: int

    @property
    def shown_lines(self) -> tuple[LineView, ...]:
        return tuple(x for x in self.lines if not x.is_nil)


@dataclass(frozen=True)
class VatRow:
    rate: str
    base: int
    vat: int


@dataclass(frozen=True)
class QuestionView:
    asked_on: date
    text: str
    line_description: str | None
    answered: bool
    answer: str | None


@dataclass(frozen=True)
class QuestionsView:
    form_url: str
    support_email: str | None
    line_choices: tuple[tuple[str, str], ...]  # (line_id, description)
    asked: tuple[QuestionView, ...]

    @property
    def awaiting_answer(self) -> bool:
        return any(not q.answered for q in self.asked)


@dataclass(frozen=True)
class ChangeView:
    """One line's change since the previous invoice. `kind`: new, gone, more, less. Amounts as shown
    to the reader (incl. VAT for a consumer)."""

    kind: str
    description: str
    previous_amount: int
    amount: int
    previous_quantity: Decimal | None
    quantity: Decimal | None
    unit: str

    @property
    def difference(self) -> int:
        return self.amount - self.previous_amount


@dataclass(frozen=True)
class ChangesView:
    previous_total: int
    previous_issue_date: date
    changes: tuple[ChangeView, ...]

    def difference(self, total: int) -> int:
        return total - self.previous_total


@dataclass(frozen=True)
class AdviceAction:
    """One step that acts on advice. `kind`: `plan_change` (post `plan` to `url`) or `question` (post
    `text` and `line_id` to the questions route; the template words the text in the reader's language
    from `topic`: `switch` to `plan_name`, or `offer` about `subject`)."""

    kind: str
    url: str
    topic: str
    plan_code: str | None = None
    plan_name: str | None = None
    subject: str | None = None
    line_id: str | None = None
    # A plan switch's terms, shown before the one press: billing.domain.page.context.PlanSwitchQuote
    switch: PlanSwitchQuote | None = None


@dataclass(frozen=True)
class PlanCostView:
    plan_code: str
    plan_name: str
    cost_per_year: int  # excl. VAT, from the re-priced recent usage


@dataclass(frozen=True)
class PlanFitView:
    """`fits`: the current plan is the cheapest (within the threshold) for the customer's usage.
    Otherwise `suggested` would have cost `saving_per_year` less (excl. VAT) per year."""

    fits: bool
    current: PlanCostView
    suggested: PlanCostView | None
    saving_per_year: int
    periods_considered: int
    # The saving as the reader is shown it: incl. VAT for a consumer (`saving_per_year` is excl.).
    shown_saving_per_year: int = 0
    incl_vat: bool = False
    action: AdviceAction | None = None  # the one step to switch (billing.domain.page.advice)


@dataclass(frozen=True)
class TenureView:
    """`moment`: first (welcome), anniversary, loyal (thanks), or regular (nothing to say but a
    price change). `years` of tenure; `price_change` is the tenant's explanation of a new price."""

    moment: str
    invoice_count: int
    years: int
    customer_since: date | None
    loyalty_benefit: str | None
    price_change: str | None
    price_change_date: date | None


@dataclass(frozen=True)
class OfferView:
    offer_id: str
    title: str
    body: str
    click_url: str  # the API records the click and redirects to the tenant's URL
    plan_code: str | None = None  # the plan it is for; None: an add-on to the customer's plan
    plan_name: str | None = None
    monthly_price: int | None = None  # the plan's fee as the reader is shown it (incl. VAT for a consumer)
    incl_vat: bool = False
    action: AdviceAction | None = None


@dataclass(frozen=True)
class PollView:
    poll_id: str
    question: str
    scores: tuple[int, ...]
    form_url: str
    answered_score: int | None


@dataclass(frozen=True)
class AnnouncementView:
    announcement_id: str
    title: str
    body: str
    starts: date | None = None
    ends: date | None = None
    started: bool = True  # False: coming (starts after today)
    plan_code: str | None = None


@dataclass(frozen=True)
class CauseView:
    cause_id: str
    title: str
    body: str
    url: str | None


@dataclass(frozen=True)
class AutopayView:
    url: str
    due_date: date
    choices: tuple[tuple[str, str], ...] = ()  # (method, url): every way the tenant offers


@dataclass(frozen=True)
class ReminderView:
    """The last reminder, as the dunning rules worded it: message keys and their parameters (money in
    minor units of the invoice currency, dates as ISO strings); the renderer words and formats them."""

    sent_on: date | None
    body_keys: tuple[str, ...]
    params: Mapping[str, str | int]


@dataclass(frozen=True)
class InvoicePageView:
    language: str  # "sv" | "en"
    country: str  # the buyer's country: with the language it picks the locale for numbers
    currency: str
    brand: Branding
    customer_name: str
    invoice_id: str
    number: str | None
    kind: str
    issue_date: date
    due_date: date
    period_start: date | None
    period_last_day: date | None  # inclusive, as people write periods
    summary: SummaryView
    groups: tuple[LineGroupView, ...]
    vat: tuple[VatRow, ...]
    subtotal: int
    vat_total: int
    rounding: int
    total: int
    balance_applied: int
    reverse_charge: bool
    notes: tuple[str, ...]
    seller: Party  # as the invoice prints it
    buyer: Party
    credited_invoice_number: str | None
    page_url: str
    seen_url: str
    pdf_url: str | None
    questions: QuestionsView
    chart: ChartView | None = None
    changes: ChangesView | None = None
    plan_fit: PlanFitView | None = None
    tenure: TenureView | None = None
    offers: tuple[OfferView, ...] = ()
    poll: PollView | None = None
    announcements: tuple[AnnouncementView, ...] = ()
    autopay: AutopayView | None = None
    reminder: ReminderView | None = None
    # Line amounts, unit prices, savings and offers include VAT (a consumer) or not (a business).
    prices_incl_vat: bool = False
    causes: tuple[CauseView, ...] = ()
    language_url: str | None = None  # the form that switches the page's language (remembered)
    # The period the usage lines are for, when it is not the invoice's (billed in arrears).
    usage_period_start: date | None = None
    usage_period_last_day: date | None = None
    # Payment trouble, relief and the customer's own controls (billing.domain.page.customer_blocks),
    # filled from state the invoice's record holds beyond the invoice itself.
    blocks: CustomerBlocks = field(default_factory=CustomerBlocks)
