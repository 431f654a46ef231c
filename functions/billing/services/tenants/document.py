"""The tenant file: one YAML (or JSON) document, checked whole before anything is stored.

tenant_id: norrsken
settings: {legal_name, org_number, vat_number, address, invoice_series_prefix, bankgiro, ...}
catalog: {plans: [...], vat_rates: ...}                 # docs/pricing.md
page: {name, colour, support_email, plan_fit, offers, ..., reminders: {...}}   # docs/invoice-page.md,
      spend_alerts: {default}, pauses: {max_months, per_year}                    # docs/dunning.md,
                                                                                # docs/engagement.md
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from billing.domain.autogiro.validation import (
    ValidationError,
    validate_bankgiro,
    validate_organisationsnummer,
)
from billing.domain.dunning.errors import ReminderPolicyError
from billing.domain.page.context import PageError
from billing.domain.pauses import PauseError, pause_policy
from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario import parse_catalog, parse_tenant_settings
from billing.domain.spend_alerts import SpendAlertError, tenant_default
from billing.services.autogiro.model import autogiro_settings
from billing.services.bank_payments.ports import bank_settings
from billing.services.customers.fields import check_vat_number
from billing.services.dunning.policy_document import reminder_policy
from billing.services.errors import PermanentError
from billing.services.payments.settings import PaymentSettings
from billing.services.ports import TenantAccount
from billing.services.tenants.page_document import page_settings
from billing.services.tenants.ports import TenantDocument

# As template.yaml's TenantId parameter allows.
TENANT_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
_TOP = frozenset({"tenant_id", "settings", "catalog", "page"})


class TenantFileError(PermanentError):
    """The tenant file is refused; `field` is the path in the file."""


def _refuse(field: str, reason: str) -> TenantFileError:
    return TenantFileError(reason, field=field, code="invalid")


def check_tenant_document(data: Any) -> TenantDocument:
    if not isinstance(data, Mapping):
        raise _refuse("(file)", "must be a mapping with tenant_id, settings, catalog and page")
    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise _refuse(str(unknown[0]), f"unknown key; expected {', '.join(sorted(_TOP))}")
    tenant_id = data.get("tenant_id")
    if not isinstance(tenant_id, str) or not TENANT_ID.fullmatch(tenant_id):
        raise _refuse("tenant_id", "2-40 of a-z, 0-9 and '-', starting with a letter or digit")
    settings = data.get("settings")
    if not isinstance(settings, Mapping):
        raise _refuse("settings", "must be a mapping")
    if settings.get("tenant_id", tenant_id) != tenant_id:
        raise _refuse("settings.tenant_id", f"must be the file's tenant_id {tenant_id!r} (or left out)")
    settings = {**settings, "tenant_id": tenant_id}
    try:
        parsed = parse_tenant_settings(settings, "settings")
        catalog = parse_catalog(data.get("catalog"), "catalog")
    except ScenarioError as error:
        raise _refuse(error.field, error.reason) from None
    try:
        if parsed.bankgiro:
            validate_bankgiro(parsed.bankgiro, "settings.bankgiro")
        if parsed.country == "SE":
            validate_organisationsnummer(parsed.org_number, "settings.org_number")
    except ValidationError as error:
        raise _refuse(error.field, error.reason) from None
    try:
        check_vat_number(parsed.vat_number, parsed.country)
    except ValueError as error:
        raise _refuse("settings.vat_number", str(error)) from None
    page = data.get("page") or {}
    _check_page(page, parsed.legal_name, data["catalog"])
    _check_agreements(TenantAccount(settings=parsed, catalog=catalog, page=dict(page)))
    return TenantDocument(tenant_id, dict(settings), dict(data["catalog"]), dict(page))


def _check_page(page: Any, legal_name: str, catalog: Mapping[str, Any]) -> None:
    if not isinstance(page, Mapping):
        raise _refuse("page", "must be a mapping")
    try:
        settings = page_settings(page, legal_name)
    except PageError as error:
        raise _refuse(f"page.{error.field}", error.reason) from None
    if "reminders" in page:
        try:
            reminder_policy(page["reminders"])
        except ReminderPolicyError as error:
            raise _refuse(f"page.reminders.{error.field}", error.reason) from None
    try:
        tenant_default(page)  # the merchant's default spend alert (docs/engagement.md)
    except SpendAlertError as error:
        raise _refuse(f"page.{error.field}", error.reason) from None
    try:
        pause_policy(page)  # the pauses the merchant allows (docs/engagement.md)
    except PauseError as error:
        raise _refuse(f"page.{error.field}", error.reason) from None
    codes = {p.get("code") for p in catalog.get("plans") or [] if isinstance(p, Mapping)}
    for i, code in enumerate(settings.plans_on_sale):
        if code not in codes:
            raise _refuse(f"page.plan_fit.plans[{i}]", f"no plan {code!r} in the catalog")


def _check_agreements(tenant: TenantAccount) -> None:
    """The page document's payment methods, Autogiro agreement and Bankgiro agreement, read as the
    payment pages, the Autogiro export and the BgMax import read them: a mistake there is refused here,
    naming its field, not found by a run or a bank file later."""
    try:
        PaymentSettings.from_page(tenant.page)
        autogiro_settings(tenant)
        bank_settings(tenant)
    except PermanentError as error:
        raise _refuse(error.field or "page", error.reason) from None
