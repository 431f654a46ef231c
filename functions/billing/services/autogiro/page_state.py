"""What the invoice page shows of Autogiro: its links, the mandate's state and the notice (as a typed
value; the page's catalogs word it)."""

from __future__ import annotations

from datetime import date
from typing import Any

from billing.domain.autogiro.invoice_state import IN_FORCE, StoredReason, autogiro_invoice_state
from billing.domain.page.context import AutogiroNotice, AutogiroNoticeKind
from billing.services.autogiro.model import autogiro_settings
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
    state = autogiro_invoice_state(stored.state)
    result: dict[str, Any] = {}
    if state.mandate_status in IN_FORCE:
        result["autopay_active"] = True  # no "set up automatic payment" for a mandate already given
    debit = state.debit_date
    if debit is not None and state.failed is None and stored.status == "open" and debit >= today:
        result["debit_date"] = debit
    return result


def autogiro_page_notice(stored: StoredInvoice) -> AutogiroNotice | None:
    """What the page should say about the mandate or a failed debit, if anything, with Bankgirot's
    reason when it gave one."""
    state = autogiro_invoice_state(stored.state)
    if stored.status != "open":
        return None
    if state.failed is not None:
        return _notice(AutogiroNoticeKind.FAILED, state.failed.reason)
    if state.mandate is None:
        return None
    kind = _NOTICE_KINDS.get(state.mandate.status)
    if kind is None:
        return None
    # A mandate waiting for approval has no reason to give, whatever the record holds.
    return _notice(kind, state.mandate.reason if kind is not AutogiroNoticeKind.WAITING else None)


def _notice(kind: AutogiroNoticeKind, reason: StoredReason | None) -> AutogiroNotice:
    # A reason names its sentence by catalog key; one stored before that has its words per language.
    if reason is not None and reason.message:
        return AutogiroNotice(kind, message=reason.message)
    return AutogiroNotice(kind, reason.sv if reason else None, reason.en if reason else None)
