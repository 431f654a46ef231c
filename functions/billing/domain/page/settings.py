"""The tenant's page settings as stored (a JSON document) -> `PageSettings`, refusing bad input by field.

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
`postcodes` (starts of the buyer's postal code: a region).

A text is a string or {"sv": "...", "en": "..."}. A segment has any of: plans, languages, countries,
min_tenure_months, max_tenure_months, business, postcodes. Amounts are minor units.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

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

T = TypeVar("T")


def _mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PageError(field, "must be an object")
    return value


def _list(data: Mapping[str, Any], key: str, field: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PageError(f"{field}{key}", "must be a list")
    return value


def _int(data: Mapping[str, Any], key: str, field: str, default: int | None = None) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PageError(f"{field}{key}", "must be a whole number")
    return value


def _optional_int(data: Mapping[str, Any], key: str, field: str) -> int | None:
    return None if data.get(key) is None else _int(data, key, field)


def _str(data: Mapping[str, Any], key: str, field: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise PageError(f"{field}{key}", "must be a non-empty text")
    return value


def _optional_str(data: Mapping[str, Any], key: str, field: str) -> str | None:
    return None if data.get(key) in (None, "") else _str(data, key, field)


def _strings(data: Mapping[str, Any], key: str, field: str) -> tuple[str, ...]:
    values = _list(data, key, field)
    if not all(isinstance(v, str) for v in values):
        raise PageError(f"{field}{key}", "must be a list of texts")
    return tuple(values)


def _date(data: Mapping[str, Any], key: str, field: str) -> date | None:
    value = data.get(key)
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise PageError(f"{field}{key}", f"not a date (YYYY-MM-DD): {value!r}") from None


def _text(data: Mapping[str, Any], key: str, field: str) -> LocalText:
    value = data.get(key)
    where = f"{field}{key}"
    if isinstance(value, str):
        return _check(LocalText.of, value, where)
    if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
        return _check(LocalText, dict(value), where)
    raise PageError(where, "must be a text or an object of texts by language")


def _check(make: Callable[..., T], value: Any, field: str) -> T:
    # Re-raise a nested refusal under the full path of the field it came from.
    try:
        return make(value)
    except PageError as exc:
        raise PageError(field, exc.reason) from None


def _segment(data: Mapping[str, Any], field: str) -> Segment:
    raw = data.get("segment")
    if raw is None:
        return Segment()
    seg = _mapping(raw, f"{field}segment")
    where = f"{field}segment."
    business = seg.get("business")
    if business is not None and not isinstance(business, bool):
        raise PageError(f"{where}business", "must be true or false")
    return Segment(
        plan_codes=_strings(seg, "plans", where),
        languages=_strings(seg, "languages", where),
        countries=_strings(seg, "countries", where),
        min_tenure_months=_optional_int(seg, "min_tenure_months", where),
        max_tenure_months=_optional_int(seg, "max_tenure_months", where),
        business=business,
        postcodes=_strings(seg, "postcodes", where),
    )


def _items(data: Mapping[str, Any], key: str, parse: Callable[[Mapping[str, Any], str], T]) -> tuple[T, ...]:
    result = []
    for i, raw in enumerate(_list(data, key, "")):
        where = f"{key}[{i}]"
        item = _mapping(raw, where)
        try:
            result.append(parse(item, f"{where}."))
        except PageError as exc:
            if exc.field.startswith(where):
                raise
            # A refusal from the settings type itself ("offers[max].url"): name the stored field.
            raise PageError(f"{where}.{_leaf(exc.field)}", exc.reason) from None
    return tuple(result)


def _leaf(field: str) -> str:
    return field.rsplit(".", 1)[-1]


def _loyalty(item: Mapping[str, Any], field: str) -> LoyaltyBenefit:
    return LoyaltyBenefit(after_years=_int(item, "after_years", field), text=_text(item, "text", field))


def _price_change(item: Mapping[str, Any], field: str) -> PriceChange:
    effective = _date(item, "effective_from", field)
    if effective is None:
        raise PageError(f"{field}effective_from", "is required")
    return PriceChange(effective, _text(item, "text", field), _strings(item, "plans", field))


def _offer(item: Mapping[str, Any], field: str) -> OfferRule:
    return OfferRule(
        offer_id=_str(item, "offer_id", field),
        title=_text(item, "title", field),
        body=_text(item, "body", field),
        url=_str(item, "url", field),
        charge_code=_optional_str(item, "charge_code", field),
        min_periods=_int(item, "min_periods", field, 1),
        window=_int(item, "window", field, item.get("min_periods", 1)),
        segment=_segment(item, field),
        plan_code=_optional_str(item, "plan", field),
    )


def _announcement(item: Mapping[str, Any], field: str) -> Announcement:
    return Announcement(
        announcement_id=_str(item, "announcement_id", field),
        title=_text(item, "title", field),
        body=_text(item, "body", field),
        starts=_date(item, "starts", field),
        ends=_date(item, "ends", field),
        segment=_segment(item, field),
        plan_code=_optional_str(item, "plan", field),
    )


def _cause(item: Mapping[str, Any], field: str) -> Cause:
    return Cause(
        cause_id=_str(item, "cause_id", field),
        title=_text(item, "title", field),
        body=_text(item, "body", field),
        url=_optional_str(item, "url", field),
    )


def _poll(data: Mapping[str, Any]) -> Poll | None:
    raw = data.get("poll")
    if raw is None:
        return None
    poll = _mapping(raw, "poll")
    from_zero = poll.get("from_zero", True)
    if not isinstance(from_zero, bool):
        raise PageError("poll.from_zero", "must be true or false")
    return Poll(
        poll_id=_str(poll, "poll_id", "poll.", "poll"),
        question=_text(poll, "question", "poll."),
        scale=_int(poll, "scale", "poll.", 10),
        from_zero=from_zero,
    )


def page_settings_from_dict(data: Mapping[str, Any], default_name: str) -> PageSettings:
    """The tenant's page settings; `default_name` (the legal name) when the page names no brand."""
    data = _mapping(data, "page")
    name = data.get("name") or default_name
    try:
        branding = Branding(
            name=str(name),
            colour=str(data.get("colour") or DEFAULT_COLOUR),
            logo_url=_optional_str(data, "logo_url", ""),
        )
    except PageError as exc:
        raise PageError(_leaf(exc.field), exc.reason) from None
    fit = _mapping(data.get("plan_fit") or {}, "plan_fit")
    autopay = data.get("autopay", True)
    if not isinstance(autopay, bool):
        raise PageError("autopay", "must be true or false")
    try:
        poll = _poll(data)
    except PageError as exc:
        if exc.field.startswith("poll"):
            raise
        raise PageError(f"poll.{_leaf(exc.field)}", exc.reason) from None
    try:
        return PageSettings(
            branding=branding,
            support_email=_optional_str(data, "support_email", ""),
            plan_fit_threshold=_int(fit, "threshold", "plan_fit.", 10_000),
            plan_fit_periods=_int(fit, "periods", "plan_fit.", 3),
            plans_on_sale=_strings(fit, "plans", "plan_fit."),
            loyal_after_months=_int(data, "loyal_after_months", "", 12),
            loyalty=_items(data, "loyalty", _loyalty),
            price_changes=_items(data, "price_changes", _price_change),
            offers=_items(data, "offers", _offer),
            poll=poll,
            announcements=_items(data, "announcements", _announcement),
            autopay_offered=autopay,
            causes=_items(data, "causes", _cause),
        )
    except PageError as exc:
        # PageSettings names its own attributes; the tenant wrote the stored document's names.
        stored = {"plan_fit_threshold": "plan_fit.threshold", "plan_fit_periods": "plan_fit.periods"}
        raise PageError(stored.get(exc.field, exc.field), exc.reason) from None
