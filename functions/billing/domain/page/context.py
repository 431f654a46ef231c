"""What the invoice page is built from besides the invoice: tenant settings, state, links, history.

All of it is plain data the caller (the billing worker, the page re-render after a payment or an
answer) loads and passes in; nothing here reads a clock or a store. Tenant-written texts (a loyalty
benefit, an offer, a poll question, an announcement) come per language in `LocalText` because they are
the tenant's words, not ours: our own words live in the translation catalogs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType

from billing.domain.catalog import Catalog
from billing.domain.dunning.messages import ReminderMessage
from billing.domain.errors import FieldError
from billing.domain.invoice import Invoice
from billing.domain.parties import Customer
from billing.domain.periods import Period
from billing.domain.usage import UsageEvent

DEFAULT_COLOUR = "#1f5f8b"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
LANGUAGES = ("sv", "en")


class PageError(FieldError):
    """Page input that cannot be shown: `field` names it, `reason` says why."""


def _check_url(field_name: str, url: str | None) -> None:
    # URLs go into href/src attributes: autoescaping stops markup, not a javascript: scheme.
    if url is not None and not url.startswith(("https://", "http://")):
        raise PageError(field_name, f"must be an http(s) URL, got {url[:40]!r}")


@dataclass(frozen=True)
class LocalText:
    """A tenant's text in each language it wrote; `text(lang)` falls back to any language given."""

    by_language: Mapping[str, str]

    def __post_init__(self) -> None:
        if not any(v.strip() for v in self.by_language.values()):
            raise PageError("text", "needs a text in at least one language")
        object.__setattr__(self, "by_language", MappingProxyType(dict(self.by_language)))

    def text(self, language: str) -> str:
        if self.by_language.get(language, "").strip():
            return self.by_language[language]
        for lang in (*LANGUAGES, *sorted(self.by_language)):
            if self.by_language.get(lang, "").strip():
                return self.by_language[lang]
        return ""  # unreachable: __post_init__ demands one text

    @classmethod
    def of(cls, value: str | Mapping[str, str]) -> LocalText:
        return cls({"en": value} if isinstance(value, str) else value)


@dataclass(frozen=True)
class Branding:
    """The tenant as the customer knows it. The colour goes into inline CSS, so only #rrggbb passes."""

    name: str
    colour: str = DEFAULT_COLOUR
    logo_url: str | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise PageError("branding.name", "must not be empty")
        if not _COLOUR.match(self.colour):
            raise PageError("branding.colour", f"must be #rrggbb, got {self.colour[:20]!r}")
        _check_url("branding.logo_url", self.logo_url)

    @property
    def on_colour(self) -> str:
        """Black or white, whichever contrasts more with `colour` (WCAG relative luminance)."""
        channels = [int(self.colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        # Contrast with black is (L + 0.05) / 0.05, with white 1.05 / (L + 0.05); they are equal at
        # L = sqrt(1.05 * 0.05) - 0.05, about 0.179.
        return "#000000" if luminance > 0.179 else "#ffffff"


@dataclass(frozen=True)
class PageLinks:
    """Where the page lives and where its forms post. `api_base` has no trailing slash."""

    token: str
    page_url: str
    api_base: str
    pay_url: str | None = None
    autopay_url: str | None = None
    pdf_url: str | None = None
    # Where the page posts a plan switch (field `plan`), once the tenant's plan-change route exists;
    # without it, advice to switch is a question prefilled with the line (billing.domain.page.advice).
    plan_change_url: str | None = None
    # Every way to pay automatically the tenant offers on this invoice, as (method, url): "card" (a
    # Stripe mandate) and "autogiro"; the customer chooses. Empty: `autopay_url` alone, if set.
    autopay_choices: tuple[tuple[str, str], ...] = ()
    # Where the customer stops automatic payment (a form posts here; a confirmation email follows).
    autopay_stop_url: str | None = None

    def __post_init__(self) -> None:
        _check_token("links.token", self.token)
        names = (
            "page_url",
            "api_base",
            "pay_url",
            "autopay_url",
            "pdf_url",
            "plan_change_url",
            "autopay_stop_url",
        )
        for name in names:
            _check_url(f"links.{name}", getattr(self, name))
        for method, url in self.autopay_choices:
            _check_url(f"links.autopay_choices[{method}]", url)
        if self.api_base.endswith("/"):
            object.__setattr__(self, "api_base", self.api_base.rstrip("/"))

    def api(self, action: str, token: str | None = None) -> str:
        """The page API's `action` for this page, or for another page's `token` (an instalment's)."""
        return f"{self.api_base}/v1/pages/{token or self.token}/{action}"


def _check_token(field: str, token: str) -> None:
    # Tokens go into links and S3 keys unescaped: only URL-safe characters, and long enough to guess.
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,}", token):
        raise PageError(field, "must be at least 16 URL-safe characters")


@dataclass(frozen=True)
class Question:
    """A question the customer asked on the page, optionally about one line."""

    question_id: str
    asked_at: datetime
    text: str
    line_id: str | None = None
    answered_at: datetime | None = None
    answer: str | None = None


class AutogiroNoticeKind(StrEnum):
    WAITING = "waiting"  # the mandate waits for the customer's bank to approve it
    REJECTED = "rejected"  # the bank did not approve the mandate
    CANCELLED = "cancelled"  # the mandate has ended
    FAILED = "failed"  # this invoice's debit could not be made


@dataclass(frozen=True)
class AutogiroNotice:
    """What the page says about the Autogiro mandate or a failed debit (worded by the catalogs), with
    Bankgirot's reason: the catalog key of its sentence (`message`), or, for a reason stored before the
    catalogs held these sentences, its words in each language; without one the sentence ends at the
    fact."""

    kind: AutogiroNoticeKind
    reason_sv: str | None = None
    reason_en: str | None = None
    message: str | None = None

    def reason(self, language: str) -> str | None:
        return (self.reason_sv if language == "sv" else self.reason_en) or None


@dataclass(frozen=True)
class Instalment:
    """One part of an invoice the customer split (relief): paid on its own with its own OCR reference."""

    number: int
    amount: int
    due_date: date
    ocr: str
    paid: bool = False
    token: str | None = None  # the part's own page token: its card payment goes through it

    def __post_init__(self) -> None:
        if self.token is not None:
            _check_token("state.instalments.token", self.token)


@dataclass(frozen=True)
class CreditNoteRef:
    """A credit note issued against this invoice: its number, amount incl. VAT, and day. A refund's
    note is recorded on the invoice (no page); a merchant's credit note is its own document, with its
    own page at `page_token`."""

    number: str
    amount: int
    issued_on: date
    page_token: str | None = None

    def __post_init__(self) -> None:
        if self.page_token is not None:
            _check_token("state.credit_notes.page_token", self.page_token)


@dataclass(frozen=True)
class InvoiceState:
    """Where the invoice stands now; the page is re-rendered whenever this changes."""

    amount_paid: int = 0
    paid_on: date | None = None
    debit_date: date | None = None  # automatic payment will take the amount on this day
    autopay_active: bool = False  # the customer already pays automatically
    questions: tuple[Question, ...] = ()
    feedback_score: int | None = None  # the customer already answered the poll
    # The last reminder sent (billing.domain.dunning): the page says what the email said.
    reminder: ReminderMessage | None = None
    reminder_sent_on: date | None = None
    # Relief the customer chose: the due date they moved it to, or the parts they split it into. The
    # summary then speaks of that date, or of the next part to pay, never of the original demand.
    due_date_moved_to: date | None = None
    instalments: tuple[Instalment, ...] = ()
    # Refunds, each documented by a credit note: the page lists them so the money is accounted for.
    credit_notes: tuple[CreditNoteRef, ...] = ()
    # How the customer pays automatically, if they do: "card" or "autogiro" (the method in force, shown
    # in the summary with its next date); `autopay_pending` while a mandate is given but not yet
    # approved (nothing to pay by hand meanwhile: the debit follows once it is).
    autopay_method: str | None = None
    autopay_pending: bool = False
    # What the payment method's provider wants the customer to know (a mandate refused, a debit that
    # failed), shown in the summary rather than among the news.
    payment_notice: AutogiroNotice | None = None


@dataclass(frozen=True)
class PeriodUsage:
    """A closed period's usage events and the plan that was active, for re-pricing (plan fit)."""

    period: Period
    events: tuple[UsageEvent, ...]
    plan_code: str | None = None


@dataclass(frozen=True)
class History:
    """The customer's past as far as the page needs it.

    `previous_invoices`: earlier invoices of this customer, any order (the page sorts by issue date).
    `invoice_count`: this invoice's ordinal among the customer's invoices (1 = the first).
    """

    previous_invoices: tuple[Invoice, ...] = ()
    customer_since: date | None = None
    invoice_count: int = 1
    usage: tuple[PeriodUsage, ...] = ()
    current_plan_code: str | None = None


@dataclass(frozen=True)
class LoyaltyBenefit:
    """From `after_years` of tenure on, long-time customers are told about this benefit."""

    after_years: int
    text: LocalText


@dataclass(frozen=True)
class PriceChange:
    """A price change the tenant explains on the first invoice on or after `effective_from`."""

    effective_from: date
    text: LocalText
    plan_codes: tuple[str, ...] = ()  # empty: everyone


@dataclass(frozen=True)
class Segment:
    """Who an announcement or offer is for. Every given condition must hold; empty means anyone."""

    plan_codes: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    min_tenure_months: int | None = None
    max_tenure_months: int | None = None
    business: bool | None = None
    # A region, as the starts of Swedish postal codes ("90", "91" for Västerbotten): the buyer's
    # address must hold a postal code starting with one of them.
    postcodes: tuple[str, ...] = ()


@dataclass(frozen=True)
class OfferRule:
    """A tenant's offer and when it applies.

    It applies when the customer is in `segment` and, if `charge_code` is set, that charge had a
    positive line in at least `min_periods` of the customer's last `window` invoices (this one
    included): "bought extra data in 2 of the last 3 months".
    """

    offer_id: str
    title: LocalText
    body: LocalText
    url: str
    charge_code: str | None = None
    min_periods: int = 1
    window: int = 1
    segment: Segment = field(default_factory=Segment)
    # The plan the offer is for ("switch to Plus"); None: an add-on to the customer's own plan. The
    # recommender (billing.domain.page.advice) keeps the page from advising two ways at once.
    plan_code: str | None = None

    def __post_init__(self) -> None:
        _check_url(f"offers[{self.offer_id}].url", self.url)
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", self.offer_id):
            raise PageError("offers.offer_id", "must be 1-64 URL-safe characters")
        if not 1 <= self.min_periods <= self.window:
            raise PageError(f"offers[{self.offer_id}].min_periods", "must be between 1 and window")


@dataclass(frozen=True)
class Poll:
    """The tenant's one feedback question, answered with a score from 0 (or 1) to `scale`."""

    poll_id: str
    question: LocalText
    scale: int = 10
    from_zero: bool = True

    def __post_init__(self) -> None:
        if not 2 <= self.scale <= 10:
            raise PageError("poll.scale", "must be between 2 and 10")


@dataclass(frozen=True)
class Announcement:
    announcement_id: str
    title: LocalText
    body: LocalText
    starts: date | None = None
    ends: date | None = None  # last day shown, inclusive
    segment: Segment = field(default_factory=Segment)
    plan_code: str | None = None  # an announcement that points to a plan is advice too


@dataclass(frozen=True)
class Cause:
    """A social cause the tenant supports, shown folded at the foot of the page."""

    cause_id: str
    title: LocalText
    body: LocalText
    url: str | None = None

    def __post_init__(self) -> None:
        _check_url(f"causes[{self.cause_id}].url", self.url)


@dataclass(frozen=True)
class PageSettings:
    """The tenant's page settings. `plan_fit_threshold`: minor units per year a cheaper plan must
    save before the page suggests it, so nobody is told to switch for a few kronor."""

    branding: Branding
    support_email: str | None = None
    plan_fit_threshold: int = 10_000
    plan_fit_periods: int = 3
    plans_on_sale: tuple[str, ...] = ()  # plans plan fit may suggest; empty: every plan in the catalog
    loyal_after_months: int = 12  # from this tenure on, customers are thanked on their invoices
    loyalty: tuple[LoyaltyBenefit, ...] = ()
    price_changes: tuple[PriceChange, ...] = ()
    offers: tuple[OfferRule, ...] = ()
    poll: Poll | None = None
    announcements: tuple[Announcement, ...] = ()
    autopay_offered: bool = True
    causes: tuple[Cause, ...] = ()

    def __post_init__(self) -> None:
        if self.plan_fit_threshold < 0:
            raise PageError("plan_fit_threshold", "must not be negative")
        if not 1 <= self.plan_fit_periods <= 12:
            raise PageError("plan_fit_periods", "must be between 1 and 12")
        if self.loyal_after_months < 1:
            raise PageError("loyal_after_months", "must be at least 1")


@dataclass(frozen=True)
class PlanSwitchQuote:
    """What switching to `plan_code` from the page would do, as the plan-change use case computes it
    on the render's day (billing.services.subscriptions.page_switch): an upgrade takes effect at once
    with `due_now` (minor units, incl. VAT) invoiced; a downgrade on `effective_date`, nothing now.
    `basis` names the subscription it was computed from: the switch is refused if that changed."""

    plan_code: str
    effective_date: date
    immediate: bool
    due_now: int
    currency: str
    basis: str
    done: bool = False  # switched already (from this page or otherwise): the page says so instead


@dataclass(frozen=True)
class PageContext:
    """Everything besides the invoice. `today` is the tenant's local date of the render."""

    settings: PageSettings
    links: PageLinks
    today: date
    state: InvoiceState = field(default_factory=InvoiceState)
    history: History = field(default_factory=History)
    catalog: Catalog | None = None
    customer: Customer | None = None  # re-pricing needs the customer's time zone
    bankgiro: str | None = None  # overrides the invoice's own bankgiro when given
    # The plan switches the page can offer in one step, with `links.plan_change_url` (issue 15).
    plan_switches: tuple[PlanSwitchQuote, ...] = ()
