"""Dunning on the invoice page: the last reminder, the relief the customer may still choose, the plan.

From the invoice's stored state: `last_reminder` fills the page's `InvoiceState.reminder` (so the page
words the reminder exactly as the email did); `page_relief` builds the page's `ReliefBlock`
(billing.domain.page.customer_blocks): the relief the customer can still choose, a moved due date, or
the instalment plan; `relief_choice` is what the relief form (billing.adapters.dunning_page) offers.
"""

from __future__ import annotations

from datetime import date

from billing.domain.dunning import CustomerHistory, ReminderMessage, ReminderPolicy, ReminderPolicyError
from billing.domain.dunning.relief import ReliefChoice
from billing.domain.dunning.relief import relief_choice as choose_relief
from billing.domain.page.customer_blocks import ReliefBlock, ReliefOffer, relief_block
from billing.services.dunning.state import dunning_of, dunning_state, instalments_of, policy_of
from billing.services.ports import StoredInvoice, TenantAccount


def last_reminder(stored: StoredInvoice) -> tuple[ReminderMessage | None, date | None]:
    """The last reminder that went out, as the email worded it (for the page's reminder block)."""
    sent = [r for r in dunning_of(stored).get("reminders") or [] if r.get("status") == "sent"]
    if not sent:
        return None, None
    last = sent[-1]
    message = ReminderMessage(
        subject_key=str(last["subject_key"]),
        body_keys=tuple(str(k) for k in last["body_keys"]),
        params={
            k: (int(v) if isinstance(v, int | float) and not isinstance(v, bool) else str(v))
            for k, v in last["params"].items()
        },
    )
    return message, date.fromisoformat(str(last["sent_on"]))


def relief_choice(stored: StoredInvoice, policy: ReminderPolicy, today: date) -> ReliefChoice:
    """The domain's rule (billing.domain.dunning.relief.relief_choice) on this invoice's state; tone and
    fees do not matter for what may be chosen, so the customer's history is left out on purpose."""
    return choose_relief(dunning_state(stored, agreed_on=None, history=CustomerHistory(0, 0)), policy, today)


def page_relief(
    stored: StoredInvoice, tenant: TenantAccount, today: date, api_base: str
) -> ReliefBlock | None:
    """The page's relief block from the invoice's dunning state and the tenant's policy, or None."""
    dunning = dunning_of(stored)
    try:
        policy = policy_of(tenant)
    except ReminderPolicyError:
        # A stored policy the rules refuse must not stop invoices from being issued and shown; the
        # daily job reports it (every invoice fails there with the field at fault).
        return None
    choice = relief_choice(stored, policy, today) if stored.status == "open" else None
    moved = dunning.get("due_date_moved_to")
    return relief_block(
        status=stored.status,
        credit_note=stored.invoice.kind == "credit_note",
        instalment_of=bool(dunning.get("instalment_of")),  # its parent's page shows the plan
        plan=instalments_of(stored),
        moved=date.fromisoformat(str(moved)) if moved else None,
        offer=ReliefOffer(choice.can_move, choice.can_split, choice.due_date) if choice else None,
        reminded=any(r.get("status") == "sent" for r in dunning.get("reminders") or []),
        today=today,
        url=f"{api_base.rstrip('/')}/v1/pages/{stored.page_token}/relief",
    )
