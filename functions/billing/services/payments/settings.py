"""The tenant's payment settings (methods, autopay methods, retry days) read from its page document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from billing.domain.dunning import ReminderPolicyError
from billing.domain.payments import (
    PaymentDataError,
    choose_payment_methods,
    validate_retry_schedule,
)
from billing.services.dunning.policy_document import reminder_policy
from billing.services.errors import PermanentError

DEFAULT_METHODS = ("card", "klarna", "swish")
DEFAULT_AUTOPAY_METHODS = ("card", "sepa_debit", "klarna")
DEFAULT_RETRY_DAYS = (0, 3, 7)
# Stripe keeps an idempotency key for 24 hours and a Checkout Session is open for 24 hours: within 23
# hours a click reuses the attempt (same key, same session); after that a new attempt starts.
SESSION_REUSE = timedelta(hours=23)


# --------------------------------------------------------------------------------------------------
# Settings and ports
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentSettings:
    """The tenant's `page["payments"]`: which methods Checkout offers, which can be saved for automatic
    payment, and the collector's retry schedule (days after the due date, starting with 0)."""

    enabled: bool = True
    methods: tuple[str, ...] = DEFAULT_METHODS
    autopay_methods: tuple[str, ...] = DEFAULT_AUTOPAY_METHODS
    retry_days: tuple[int, ...] = DEFAULT_RETRY_DAYS

    @classmethod
    def from_page(cls, page: Mapping[str, Any]) -> PaymentSettings:
        raw = page.get("payments") or {}
        if not isinstance(raw, Mapping):
            raise PermanentError("must be an object", field="page.payments")
        enabled = raw.get("enabled", True)
        if not isinstance(enabled, bool):
            raise PermanentError("must be true or false", field="page.payments.enabled")
        try:
            retry = validate_retry_schedule(raw.get("retry_days", _reminder_retry_days(page)))
        except PaymentDataError as err:
            raise PermanentError(err.reason, field="page.payments.retry_days") from None
        return cls(
            enabled=enabled,
            methods=_methods(raw, "methods", DEFAULT_METHODS),
            autopay_methods=_methods(raw, "autopay_methods", DEFAULT_AUTOPAY_METHODS),
            retry_days=retry,
        )

    def checkout_methods(self, currency: str) -> list[str]:
        return choose_payment_methods(currency, self.methods, reusable=False)

    def mandate_methods(self, currency: str) -> list[str]:
        return choose_payment_methods(currency, self.autopay_methods, reusable=True)

    def offers_autopay(self, currency: str) -> bool:
        try:
            return self.enabled and bool(self.mandate_methods(currency))
        except PaymentDataError:
            return False


def _reminder_retry_days(page: Mapping[str, Any]) -> tuple[int, ...]:
    """The card schedule a tenant gets from its reminder policy when it sets no `retry_days` of its
    own: one setting for both mandates. The policy's `mandate_retry_days` count from the first failed
    charge, which the collector makes on the due date, so retry n falls on due date + that many days;
    the first charge is on the due date itself (0)."""
    raw = page.get("reminders")
    if raw is None:
        return DEFAULT_RETRY_DAYS
    try:
        policy = reminder_policy(raw)
    except ReminderPolicyError:
        return DEFAULT_RETRY_DAYS  # the reminder job refuses this policy, naming its field
    return validate_retry_schedule((0, *policy.mandate_retry_days))


def _methods(raw: Mapping[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = raw.get(key, default)
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise PermanentError("must list at least one payment method", field=f"page.payments.{key}")
    if not all(isinstance(m, str) and m for m in value):
        raise PermanentError("payment methods are names such as 'card'", field=f"page.payments.{key}")
    return tuple(value)
