"""The tenant's stored page document -> PageSettings (pydantic), and refusals that name the stored field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from billing.domain.page import LocalText, PageError, Segment
from billing.services.tenants.page_document import page_settings

FULL: dict[str, Any] = {
    "name": "Nordljus Mobil",
    "colour": "#0a6e5c",
    "logo_url": "https://nordljus.example/logo.png",
    "support_email": "hjalp@nordljus.example",
    "plan_fit": {"threshold": 20000, "periods": 2, "plans": ["mini", "bas", "max"]},
    "loyal_after_months": 24,
    "loyalty": [{"after_years": 2, "text": {"sv": "En gratis månad", "en": "A free month"}}],
    "price_changes": [{"effective_from": "2026-11-01", "text": "Nya priser", "plans": ["bas"]}],
    "offers": [
        {
            "offer_id": "max",
            "title": {"sv": "Mer data", "en": "More data"},
            "body": "30 GB ingår.",
            "url": "https://nordljus.example/max",
            "charge_code": "extra",
            "min_periods": 2,
            "window": 3,
            "segment": {"plans": ["bas"], "business": False},
        }
    ],
    "poll": {"poll_id": "nps", "question": "Rekommenderar du oss?", "scale": 5, "from_zero": False},
    "announcements": [
        {
            "announcement_id": "5g",
            "title": "5G",
            "body": "Snart.",
            "starts": "2026-11-01",
            "ends": "2026-12-31",
            "segment": {"languages": ["sv"], "min_tenure_months": 6},
        }
    ],
    "autopay": False,
}


def test_every_setting_is_read() -> None:
    # Given a tenant's full page document
    s = page_settings(FULL, "Nordljus Mobil AB")
    # Then every part lands where the page looks for it
    assert (s.branding.name, s.branding.colour, s.branding.logo_url) == (
        "Nordljus Mobil",
        "#0a6e5c",
        "https://nordljus.example/logo.png",
    )
    assert s.support_email == "hjalp@nordljus.example"
    assert (s.plan_fit_threshold, s.plan_fit_periods, s.plans_on_sale) == (20000, 2, ("mini", "bas", "max"))
    assert s.loyal_after_months == 24
    assert s.loyalty[0].after_years == 2 and s.loyalty[0].text.text("en") == "A free month"
    assert s.price_changes[0].effective_from == date(2026, 11, 1) and s.price_changes[0].plan_codes == (
        "bas",
    )
    offer = s.offers[0]
    assert (offer.offer_id, offer.charge_code, offer.min_periods, offer.window) == ("max", "extra", 2, 3)
    assert offer.title == LocalText({"sv": "Mer data", "en": "More data"})
    assert offer.segment == Segment(plan_codes=("bas",), business=False)
    assert s.poll is not None and (s.poll.scale, s.poll.from_zero) == (5, False)
    a = s.announcements[0]
    assert (a.starts, a.ends, a.segment.languages, a.segment.min_tenure_months) == (
        date(2026, 11, 1),
        date(2026, 12, 31),
        ("sv",),
        6,
    )
    assert s.autopay_offered is False


def test_an_empty_document_gives_the_defaults_and_the_legal_name() -> None:
    s = page_settings({}, "Nordljus Mobil AB")
    assert s.branding.name == "Nordljus Mobil AB"
    assert s.offers == () and s.poll is None and s.announcements == () and s.autopay_offered


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"logo_url": "javascript:alert(1)"}, "logo_url"),
        ({"plan_fit": {"threshold": "lots"}}, "plan_fit.threshold"),
        ({"plan_fit": {"threshold": -5}}, "plan_fit.threshold"),
        ({"offers": [{"offer_id": "x", "title": "T", "body": "B", "url": "ftp://x"}]}, "offers[0].url"),
        ({"offers": [{"offer_id": "x", "title": "T", "body": "B"}]}, "offers[0].url"),
        ({"offers": [{"offer_id": "x", "title": 5, "body": "B", "url": "https://x"}]}, "offers[0].title"),
        (
            {
                "offers": [
                    {
                        "offer_id": "x",
                        "title": "T",
                        "body": "B",
                        "url": "https://x",
                        "segment": {"business": "y"},
                    }
                ]
            },
            "offers[0].segment.business",
        ),
        (
            {"announcements": [{"announcement_id": "a", "title": "T", "body": "B", "starts": "soon"}]},
            "announcements[0].starts",
        ),
        ({"price_changes": [{"text": "x"}]}, "price_changes[0].effective_from"),
        ({"loyalty": [{"after_years": 1, "text": {"sv": ""}}]}, "loyalty[0].text"),
        ({"poll": {"question": "Q", "scale": 50}}, "poll.scale"),
        ({"autopay": "yes"}, "autopay"),
        ({"offers": {"not": "a list"}}, "offers"),
    ],
)
def test_bad_settings_are_refused_naming_the_stored_field(patch: dict[str, Any], field: str) -> None:
    with pytest.raises(PageError) as err:
        page_settings({**FULL, **patch}, "X")
    assert err.value.field == field


def test_a_key_set_to_null_counts_as_left_out() -> None:
    # Given a YAML tenant file whose empty keys arrive as null
    s = page_settings({**FULL, "poll": None, "offers": None, "autopay": None, "plan_fit": None}, "X")
    # Then each takes its default, as a left-out key does
    assert s.poll is None and s.offers == () and s.autopay_offered is True
    assert (s.plan_fit_threshold, s.plan_fit_periods) == (10_000, 3)


def test_other_owners_keys_are_left_to_them() -> None:
    # The page document also carries the reminder policy, Autogiro and BgMax agreements
    extra = {
        "reminders": {"steps": []},
        "autogiro": {"customer_number": "1"},
        "bgmax": {},
        "spend_alerts": {},
    }
    assert page_settings({**FULL, **extra}, "X") == page_settings(FULL, "X")


def test_a_tenant_reads_its_page_document_once() -> None:
    # Given a tenant as the directory reads it
    from billing.domain.catalog import Catalog
    from billing.domain.scenario import parse_tenant_settings
    from billing.services.ports import TenantAccount
    from infra import demo_data

    settings = parse_tenant_settings(demo_data.tenant_settings("t1"))
    tenant = TenantAccount(settings=settings, catalog=Catalog(plans={}), page=dict(FULL))
    # When its page settings are asked for twice, then the second is the same object, not a re-read
    assert tenant.page_settings is tenant.page_settings
    assert tenant.page_settings.branding.name == "Nordljus Mobil"
