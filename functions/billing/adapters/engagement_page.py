"""What the invoice page shows of the controls the customer keeps in their own hands (issue 18): the
spend alert they set ("tell me when this month passes X kr"), the download of their usage data, and the
link to the honest exit (with the pause taken there, if any).

Gathers the customer's stored state into the page's typed blocks (billing.domain.page.customer_blocks);
the page template renders them after the invoice's own blocks, as plain forms that work without
JavaScript, worded from the gettext catalogs.
"""

from __future__ import annotations

from datetime import date

from billing.domain.page.customer_blocks import (
    ExitBlock,
    SpendAlertBlock,
    UsageDataBlock,
    spend_alert_block,
)
from billing.domain.pauses import current_pause
from billing.domain.periods import months_available
from billing.domain.spend_alerts import SpendAlert, SpendAlertError, period_start_on, tenant_default
from billing.services.ports import CustomerAccount, StoredInvoice, TenantAccount


def spend_alert(
    stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount, today: date, api_base: str
) -> SpendAlertBlock:
    alert = SpendAlert.from_dict(account.spend_alert)
    try:
        default = tenant_default(tenant.page)
    except SpendAlertError:
        default = None  # a broken merchant default must not take the customer's page down
    return spend_alert_block(
        url=f"{api_base}/v1/pages/{stored.page_token}/spend-alert",
        chosen=alert.chosen,
        threshold=alert.effective(default),
        incl_vat=not account.customer.is_business,
        fired_on=alert.fired,
        fired_amount=alert.fired_amount,
        # Only a fired alert needs the period (it reads the subscription's plan).
        period_start=(
            period_start_on(tenant.catalog, account.subscription, today)
            if alert.fired_amount is not None
            else None
        ),
    )


def usage_data(stored: StoredInvoice, account: CustomerAccount, today: date, api_base: str) -> UsageDataBlock:
    return UsageDataBlock(
        url=f"{api_base}/v1/pages/{stored.page_token}/usage",
        months=tuple(months_available(account.subscription.start_date, today)),
    )


def exit_link(
    stored: StoredInvoice, account: CustomerAccount, today: date, api_base: str
) -> ExitBlock | None:
    """Step one of the honest exit (services/subscriptions/customer_exit), for a subscription that is
    not ending already; with the pause taken there, if one is running or to come."""
    if account.subscription.end_date is not None:
        return None
    pause = current_pause(account.subscription, today)
    return ExitBlock(
        url=f"{api_base}/v1/pages/{stored.page_token}/exit",
        pause_start=pause.start if pause else None,
        pause_end=pause.end if pause else None,
    )
