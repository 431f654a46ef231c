"""The tenant file (billing tenant create|update): checked whole, every error naming its field as the
file spells it, before anything is stored."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from billing.services.tenants.document import TenantFileError, check_tenant_document
from infra import demo_data


def tenant_file() -> dict[str, Any]:
    settings = demo_data.tenant_settings("norrsken") | {
        "org_number": "556703-7485",
        "vat_number": "SE556703748501",
    }
    settings.pop("tenant_id")
    page = copy.deepcopy(demo_data.PAGE_SETTINGS) | {
        "reminders": {"steps": [{"days_after_due": 5, "fee": False, "tone": "friendly"}]}
    }
    return {
        "tenant_id": "norrsken",
        "settings": settings,
        "catalog": copy.deepcopy(demo_data.CATALOG),
        "page": page,
    }


def test_a_whole_tenant_file_is_accepted():
    document = check_tenant_document(tenant_file())
    assert document.tenant_id == "norrsken" and document.settings["tenant_id"] == "norrsken"
    assert {p["code"] for p in document.catalog["plans"]} == {"bas", "plus", "max"}


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data[int(part)] if isinstance(data, list) else data[part]
    if value is _DELETE:
        del data[last]
    elif isinstance(data, list):
        data[int(last)] = value
    else:
        data[last] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("tenant_id", "Norrsken AB", "tenant_id"),
        ("colour", "red", "colour"),
        ("settings.legal_name", _DELETE, "settings.legal_name"),
        ("settings.tenant_id", "other", "settings.tenant_id"),
        ("settings.bankgiro", "5050-1056", "settings.bankgiro"),
        ("settings.org_number", "556703-7484", "settings.org_number"),
        ("settings.vat_number", "SE556703748502", "settings.vat_number"),
        ("settings.currency", "kronor", "settings.currency"),
        ("settings.payment_terms_days", 400, "settings.payment_terms_days"),
        ("settings.timezone", "Europe/Gothenburg", "settings.timezone"),
        ("catalog.plans.0.charges.0.amount", -5, "catalog.plans[0].charges[0].amount"),
        ("catalog.plans.0.charges.0.model", "magic", "catalog.plans[0].charges[0].model"),
        ("page.colour", "blue-ish", "page.colour"),
        ("page.reminders.steps.0.tone", "angry", "page.reminders.steps[0].tone"),
        ("page.reminders.surprise", 1, "page.reminders.surprise"),
        ("page.plan_fit.plans", ["bas", "gold"], "page.plan_fit.plans[1]"),
        # The agreements in the page document, read as the payment pages and the bank jobs read them
        ("page.payments", {"methods": "card"}, "page.payments.methods"),
        ("page.payments", {"retry_days": [3, 1]}, "page.payments.retry_days"),
        ("page.payments", {"enabled": "yes"}, "page.payments.enabled"),
        ("page.autogiro", {"customer_number": "12345678"}, "page.autogiro.customer_number"),
        ("page.autogiro", {"customer_number": "471117", "bankgiro": "5050-1056"}, "page.autogiro.bankgiro"),
        (
            "page.autogiro",
            {"customer_number": "471117", "lookahead_banking_days": 90},
            "page.autogiro.lookahead_banking_days",
        ),
        ("page.bgmax", {"bankgiro": "123"}, "page.bgmax.bankgiro"),
        ("page.bgmax", {"test_files": "no"}, "page.bgmax.test_files"),
    ],
)
def test_a_mistake_is_refused_naming_its_field(path, value, field):
    data = tenant_file()
    _set(data, path, value)
    with pytest.raises(TenantFileError) as refused:
        check_tenant_document(data)
    assert refused.value.field is not None and refused.value.field.startswith(field), refused.value


@pytest.mark.parametrize("data", [None, [], "tenant", {"tenant_id": "x1"}])
def test_a_file_that_is_not_a_tenant_is_refused(data):
    with pytest.raises(TenantFileError):
        check_tenant_document(data)
