"""The tenant's stored page document, read by pydantic into the domain's `PageSettings`; a refusal
names the stored field ("offers[0].url") so the merchant can find it in the tenant file.

The document (docs/invoice-page.md has a full example):

    {"name": "Nordljus Mobil", "colour": "#0a6e5c", "logo_url": "https://...", "support_email": "...",
     "plan_fit": {"threshold": 10000, "periods": 3, "plans": ["mini", "bas", "max"]},
     "loyal_after_months": 12,
     "loyalty": [{"after_years": 1, "text": {"sv": "...", "en": "..."}}],
     "price_changes": [{"effective_from": "2026-11-01", "text": "...", "plans": ["bas"]}],
     "offers": [{"offer_id": "max", "title": "...", "body": "...", "url": "https://...",
                 "charge_code": "extra_data", "min_periods": 2, "window": 3, "segment": {...}}],
     "poll": {"poll_id": "nps", "question": "...", "scale": 10, "from_zero": true},
     "announcements": [{"announcement_id": "5g", "title": "...", "body": "...",
                        "starts": "2026-11-01", "ends": "2026-12-31", "segment": {...}}],
     "autopay": true,
     "causes": [{"cause_id": "barncancer", "title": "...", "body": "...", "url": "https://..."}]}

An offer or announcement may name the `plan` it is for ("plan": "plus"); a segment may name
`postcodes` (starts of the buyer's postal code: a region). A text is a string or
{"sv": "...", "en": "..."}. A segment has any of: plans, languages, countries, min_tenure_months,
max_tenure_months, business, postcodes. Amounts are minor units.

Two steps, each refusing with the stored field's path: pydantic checks the document's types; the
domain's dataclasses then check what they mean (an http(s) URL, a #rrggbb colour, 1 <= min_periods <=
window). The same document carries other owners' settings (reminders, autogiro, bgmax, spend_alerts,
pauses), so keys this model does not know are left for them, not refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    StrictInt,
    ValidationError,
    model_validator,
)

from billing.domain.page.context import (
    DEFAULT_COLOUR,
    Announcement,
    Branding,
    Cause,
    LocalText,
    LoyaltyBenefit,
    OfferRule,
    PageError,
    PageSettings,
    Poll,
    PriceChange,
    Segment,
)
from billing.services.errors import document_refusal

T = TypeVar("T")


def _non_empty(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty text")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value in (None, "") else _non_empty(value)


def _local_text(value: Any) -> LocalText:
    if isinstance(value, str):
        return _domain(LocalText.of, value)
    if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
        return _domain(LocalText, dict(value))
    raise ValueError("must be a text or an object of texts by language")


def _iso_date(value: Any) -> Any:
    # YAML hands over a date, JSON a string; a number is not a date here (pydantic would read it as
    # a Unix time).
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError("must be a list")
    if not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of texts")
    return tuple(value)


def _domain(make: Callable[[Any], T], value: Any) -> T:
    # A domain refusal inside one field's value (an empty LocalText) is that field's refusal.
    try:
        return make(value)
    except PageError as exc:
        raise ValueError(exc.reason) from None


Text = Annotated[LocalText, PlainValidator(_local_text)]
Name = Annotated[str, PlainValidator(_non_empty)]
OptionalName = Annotated[str | None, PlainValidator(_optional_text)]
Texts = Annotated[tuple[str, ...], PlainValidator(_texts)]
Day = Annotated[date, BeforeValidator(_iso_date)]


class _Part(BaseModel):
    # populate_by_name: a field is declared under the domain's name, with the stored name as its alias.
    model_config = ConfigDict(
        extra="ignore", frozen=True, arbitrary_types_allowed=True, populate_by_name=True
    )

    @model_validator(mode="before")
    @classmethod
    def _null_is_unset(cls, data: Any) -> Any:
        # YAML writes an empty key as null: it means "not set", as a left-out key does.
        return {k: v for k, v in data.items() if v is not None} if isinstance(data, Mapping) else data


class _Item(_Part):
    """A part of the document that is one of the domain's dataclasses, field for field: `makes` builds
    it from the fields (named as the domain names them), nested parts first."""

    makes: ClassVar[Callable[..., Any]]

    def domain(self) -> Any:
        return self.makes(**{k: v.domain() if isinstance(v, _Item) else v for k, v in self})


class SegmentDoc(_Item):
    makes = Segment
    plan_codes: Texts = Field((), alias="plans")
    languages: Texts = ()
    countries: Texts = ()
    min_tenure_months: StrictInt | None = None
    max_tenure_months: StrictInt | None = None
    business: StrictBool | None = None
    postcodes: Texts = ()


class LoyaltyDoc(_Item):
    makes = LoyaltyBenefit
    after_years: StrictInt
    text: Text


class PriceChangeDoc(_Item):
    makes = PriceChange
    effective_from: Day
    text: Text
    plan_codes: Texts = Field((), alias="plans")


class OfferDoc(_Item):
    makes = OfferRule
    offer_id: Name
    title: Text
    body: Text
    url: Name
    charge_code: OptionalName = None
    min_periods: StrictInt = 1
    window: StrictInt
    segment: SegmentDoc = Field(default_factory=lambda: SegmentDoc.model_validate({}))
    plan_code: OptionalName = Field(None, alias="plan")

    @model_validator(mode="before")
    @classmethod
    def _window(cls, data: Any) -> Any:
        # "in each of the last N": the window is min_periods unless the tenant widens it.
        if isinstance(data, Mapping) and data.get("window") is None:
            return {**data, "window": data.get("min_periods", 1)}
        return data


class AnnouncementDoc(_Item):
    makes = Announcement
    announcement_id: Name
    title: Text
    body: Text
    starts: Day | None = None
    ends: Day | None = None
    segment: SegmentDoc = Field(default_factory=lambda: SegmentDoc.model_validate({}))
    plan_code: OptionalName = Field(None, alias="plan")


class CauseDoc(_Item):
    makes = Cause
    cause_id: Name
    title: Text
    body: Text
    url: OptionalName = None


class PollDoc(_Item):
    makes = Poll
    poll_id: Name = "poll"
    question: Text
    scale: StrictInt = 10
    from_zero: StrictBool = True


class PlanFitDoc(_Part):
    threshold: StrictInt = 10_000
    periods: StrictInt = 3
    plans: Texts = ()


class PageDocument(_Part):
    """The page document as stored on the tenant (`TenantAccount.page`)."""

    name: str | None = None
    colour: str | None = None
    logo_url: OptionalName = None
    support_email: OptionalName = None
    plan_fit: PlanFitDoc = Field(default_factory=PlanFitDoc)
    loyal_after_months: StrictInt = 12
    loyalty: list[LoyaltyDoc] = []
    price_changes: list[PriceChangeDoc] = []
    offers: list[OfferDoc] = []
    poll: PollDoc | None = None
    announcements: list[AnnouncementDoc] = []
    autopay: StrictBool = True
    causes: list[CauseDoc] = []

    def settings(self, default_name: str) -> PageSettings:
        branding = _named(
            lambda: Branding(
                name=self.name or default_name,
                colour=self.colour or DEFAULT_COLOUR,
                logo_url=self.logo_url,
            ),
            lambda leaf: leaf,
        )
        poll = None if self.poll is None else _named(self.poll.domain, lambda leaf: f"poll.{leaf}")
        items = {key: _items(key, getattr(self, key)) for key in _LISTS}
        return _named(
            lambda: PageSettings(
                branding=branding,
                support_email=self.support_email,
                plan_fit_threshold=self.plan_fit.threshold,
                plan_fit_periods=self.plan_fit.periods,
                plans_on_sale=self.plan_fit.plans,
                loyal_after_months=self.loyal_after_months,
                poll=poll,
                autopay_offered=self.autopay,
                **items,
            ),
            # PageSettings names its own attributes; the tenant wrote the stored document's names.
            lambda leaf: {
                "plan_fit_threshold": "plan_fit.threshold",
                "plan_fit_periods": "plan_fit.periods",
            }.get(leaf, leaf),
        )


_LISTS = ("loyalty", "price_changes", "offers", "announcements", "causes")


def _named(make: Callable[[], T], where: Callable[[str], str]) -> T:
    # The domain's dataclasses name their own attributes ("branding.colour", "offers[max].url"); the
    # merchant wrote the stored document, so a refusal is renamed to the stored field.
    try:
        return make()
    except PageError as exc:
        raise PageError(where(exc.field.rsplit(".", 1)[-1]), exc.reason) from None


def _items(key: str, docs: list[Any]) -> tuple[Any, ...]:
    def at(i: int) -> Callable[[str], str]:
        return lambda leaf: f"{key}[{i}].{leaf}"

    return tuple(_named(doc.domain, at(i)) for i, doc in enumerate(docs))


def page_settings(document: Any, default_name: str) -> PageSettings:
    """The tenant's page settings; `default_name` (the legal name) when the page names no brand.

    Raises `PageError` naming the stored field ("offers[0].url") and why."""
    if not isinstance(document, Mapping):
        raise PageError("page", "must be an object")
    try:
        parsed = PageDocument.model_validate(document)
    except ValidationError as exc:
        field, reason = document_refusal(exc.errors())
        raise PageError(field or "page", reason) from None
    return parsed.settings(default_name)
