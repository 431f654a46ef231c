"""What the invoice page shows of Autogiro: its links, the mandate's state and the notice (as a typed
value; the page's catalogs word it)."""

from __future__ import annotations

from datetime import date
from typing import Any

from billing.domain.page.context import AutogiroNotice, AutogiroNoticeKind
from billing.services.autogiro.model import autogiro_settings, autogiro_state
from billing.services.autogiro.ports import MandateStatus
from billing.services.errors import PermanentError
from billing.services.ports import (
    StoredInvoice,
    TenantAccount,
)

# --------------------------------------------------------------------------------------------- page


# The mandate statuses the page has a word for; the words are in the catalogs
# (templates/blocks/autogiro_notice.html.j2).
_NOTICE_KINDS = {
    MandateStatus.PENDING.value: AutogiroNoticeKind.WAITING,
    MandateStatus.SENT.value: AutogiroNoticeKind.WAITING,
    MandateStatus.REJECTED.value: AutogiroNoticeKind.REJECTED,
    MandateStatus.CANCELLED.value: AutogiroNoticeKind.CANCELLED,
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


def autogiro_page_notice(stored: StoredInvoice) -> AutogiroNotice | None:
    """What the page should say about the mandate or a failed debit, if anything, with Bankgirot's
    reason when it gave one."""
    state = autogiro_state(stored)
    if stored.status != "open" or not state:
        return None
    failed = state.get("failed")
    if failed:
        return _notice(AutogiroNoticeKind.FAILED, failed)
    mandate = state.get("mandate") or {}
    kind = _NOTICE_KINDS.get(str(mandate.get("status")))
    if kind is None:
        return None
    # A mandate waiting for approval has no reason to give, whatever the record holds.
    reason = (mandate.get("reason") or {}) if kind is not AutogiroNoticeKind.WAITING else {}
    return _notice(kind, reason)


def _notice(kind: AutogiroNoticeKind, reason: dict[str, Any]) -> AutogiroNotice:
    # A reason names its sentence by catalog key; one stored before that has its words per language.
    if reason.get("message"):
        return AutogiroNotice(kind, message=str(reason["message"]))
    return AutogiroNotice(kind, reason.get("sv"), reason.get("en"))
