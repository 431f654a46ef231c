"""Builds the use cases of what a customer decides about themselves once per container: stopping
automatic payment and the page's language from the invoice page (CustomerChoicesFunction), and erasure
of their personal data (`billing customer erase`, docs/privacy.md)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from billing.settings import settings
from billing.wiring.core import (
    audit_trail,
    bind_tables,
    cancel_autogiro_mandate,
    customer_action,
    page_change,
    stripe_records,
)

if TYPE_CHECKING:
    from billing.services.erasure import EraseCustomer
    from billing.services.page_language import SwitchLanguage
    from billing.services.payment_control import StopAutopay
    from billing.services.subscriptions.page_switch import SwitchPlanFromPage


@cache
def erase_customer() -> EraseCustomer:
    from billing.adapters.aws import S3PageEraser
    from billing.adapters.dynamo.erasure import DynamoErasureStore
    from billing.services.billing_run import SystemClock
    from billing.services.erasure import EraseCustomer

    bind_tables()
    return EraseCustomer(
        store=DynamoErasureStore(),
        pages=S3PageEraser(settings().pages_bucket),
        audit=audit_trail(),
        clock=SystemClock(),
    )


@cache
def stop_autopay() -> StopAutopay:
    """The customer stops automatic payment from the page (issue 17): card mandate or Autogiro."""
    from billing.adapters.payment_control_mail import StopConfirmationMail
    from billing.services.payment_control import StopAutopay

    return StopAutopay(
        **customer_action(),
        cards=stripe_records(),
        cancel_autogiro=cancel_autogiro_mandate(),
        confirmation=StopConfirmationMail(),
    )


@cache
def switch_language() -> SwitchLanguage:
    """The customer switches the page's language, remembered as theirs (issue 17)."""
    from billing.adapters.dynamo.customer_language import DynamoCustomerLanguage
    from billing.services.page_language import SwitchLanguage

    return SwitchLanguage(**page_change(), customers=DynamoCustomerLanguage())


@cache
def switch_plan_from_page() -> SwitchPlanFromPage:
    """The customer switches plan from the page's advice (issue 15), through the merchant's use case."""
    from billing.adapters.plan_switch_mail import PlanSwitchMail
    from billing.services.subscriptions.page_switch import SwitchPlanFromPage
    from billing.wiring.merchant import change_plan, subscription_records

    return SwitchPlanFromPage(
        **customer_action(),
        records=subscription_records(),
        change_plan=change_plan(),
        confirmation=PlanSwitchMail(),
    )
