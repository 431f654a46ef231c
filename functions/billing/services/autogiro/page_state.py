"""What the invoice page shows of Autogiro: its links, the mandate's state and the notice."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from billing.domain.page.context import Announcement, LocalText, PageSettings
from billing.services.autogiro.model import MandateStatus, autogiro_settings, autogiro_state
from billing.services.errors import PermanentError
from billing.services.ports import (
    StoredInvoice,
    TenantAccount,
)

# --------------------------------------------------------------------------------------------- page


AUTOGIRO_NOTICE_ID = "autogiro-mandate"
_NOTICES = {
    MandateStatus.PENDING.value: (
        "Ditt Autogiro-medgivande väntar på godkännande från din bank.",
        "Your Autogiro mandate is waiting for your bank's approval.",
    ),
    MandateStatus.SENT.value: (
        "Ditt Autogiro-medgivande väntar på godkännande från din bank.",
        "Your Autogiro mandate is waiting for your bank's approval.",
    ),
    MandateStatus.REJECTED.value: (
        "Ditt Autogiro-medgivande godkändes inte: {sv}",
        "Your Autogiro mandate was not approved: {en}",
    ),
    MandateStatus.CANCELLED.value: ("Autogiro är avslutat: {sv}", "Autogiro has ended: {en}"),
    "failed": ("Autogiro-dragningen kunde inte göras: {sv}", "The Autogiro debit could not be made: {en}"),
}


def autogiro_page_links(stored: StoredInvoice, tenant: TenantAccount, api_base: str) -> dict[str, str]:
    """`autopay_url` of the invoice page: the Autogiro form, for SEK tenants with an agreement."""
    try:
        offered = autogiro_settings(tenant) is not None
    except PermanentError:
        offered = False
    if not offered or stored.invoice.currency.upper() != "SEK":
        return {}
    return {"autopay_url": f"{api_base.rstrip('/')}/v1/pages/{stored.page_token}/autogiro"}


def autogiro_page_state(stored: StoredInvoice, today: date) -> dict[str, Any]:
    """`debit_date` and `autopay_active` for the page's InvoiceState, from state["autogiro"]."""
    state = autogiro_state(stored)
    if not state:
        return {}
    status = (state.get("mandate") or {}).get("status")
    result: dict[str, Any] = {}
    if status in (MandateStatus.PENDING.value, MandateStatus.SENT.value, MandateStatus.APPROVED.value):
        result["autopay_active"] = True  # no "set up automatic payment" for a mandate already given
    debit = state.get("debit_date")
    if debit and not state.get("failed") and stored.status == "open" and date.fromisoformat(debit) >= today:
        result["debit_date"] = date.fromisoformat(debit)
    return result


def autogiro_page_notice(stored: StoredInvoice) -> tuple[str, str] | None:
    """What the page should say about the mandate or a failed debit (Swedish, English), if anything."""
    state = autogiro_state(stored)
    if stored.status != "open" or not state:
        return None
    failed = state.get("failed")
    if failed:
        sv, en = _NOTICES["failed"]
        return _sentence(sv, failed.get("sv")), _sentence(en, failed.get("en"))
    mandate = state.get("mandate") or {}
    texts = _NOTICES.get(str(mandate.get("status")))
    if texts is None:
        return None
    reason = mandate.get("reason") or {}
    return _sentence(texts[0], reason.get("sv")), _sentence(texts[1], reason.get("en"))


def _sentence(template: str, reason: str | None) -> str:
    """The notice with Bankgirot's reason after the colon, or ending in a full stop without one."""
    if "{" not in template:
        return template
    if reason:
        return template.replace("{sv}", reason).replace("{en}", reason)
    return template.split(":")[0] + "."


def with_autogiro_notice(settings: PageSettings, stored: StoredInvoice) -> PageSettings:
    """The page settings with the Autogiro notice first among the announcements (the page has no
    block of its own for it)."""
    notice = autogiro_page_notice(stored)
    if notice is None:
        return settings
    announcement = Announcement(
        announcement_id=AUTOGIRO_NOTICE_ID,
        title=LocalText({"sv": "Autogiro", "en": "Autogiro"}),
        body=LocalText({"sv": notice[0], "en": notice[1]}),
    )
    return replace(settings, announcements=(announcement, *settings.announcements))
