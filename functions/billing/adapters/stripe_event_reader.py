"""Stripe's webhook events (plain dicts of a verified body) read into the domain's payment events: the
one place that knows Stripe's JSON shapes (billing.services.payments.ports.StripeEventReader). Unknown
event types become `IgnoredEvent`; a handled type missing what we need, or carrying an impossible time
or amount, raises `PaymentDataError`, because acknowledging it silently would lose a payment."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from billing.domain.payments import (
    METADATA_CUSTOMER_ID,
    METADATA_INVOICE_ID,
    DisputeClosed,
    DisputeOpened,
    DomainPaymentEvent,
    IgnoredEvent,
    MandateActivated,
    MandateDetached,
    MandateStatus,
    MandateUpdated,
    PaymentDataError,
    PaymentFailed,
    PaymentProcessing,
    PaymentSucceeded,
    RefundIssued,
)


def to_domain_event(event: Mapping[str, Any]) -> DomainPaymentEvent:
    """Map one provider event (the plain dict of a verified webhook body) to a domain event.

    Unknown event types become `IgnoredEvent`; a handled type missing what we need raises
    `PaymentDataError`, because acknowledging it silently would lose a payment.
    """
    event_id = _str(event, "id")
    event_type = _str(event, "type")
    created = event.get("created")
    if not isinstance(created, int) or isinstance(created, bool) or not 0 <= created < MAX_UNIX_TIME:
        raise PaymentDataError("created", "must be a unix timestamp before the year 3000")
    base: dict[str, Any] = {
        "event_id": event_id,
        "event_type": event_type,
        "occurred_at": datetime.fromtimestamp(created, tz=UTC),
    }
    if event_type not in HANDLED_EVENT_TYPES:
        return IgnoredEvent(**base, reason="event type not handled")
    data = event.get("data")
    if not isinstance(data, Mapping) or not isinstance(data.get("object"), Mapping):
        raise PaymentDataError("data.object", "missing")
    obj = data["object"]
    expected = _OBJECT_OF[event_type.rsplit(".", 1)[0]]
    if obj.get("object") != expected:
        # A signed event whose object is not what its type says is a bug or an attack; never guess.
        raise PaymentDataError("data.object.object", f"must be {expected!r} for {event_type}")
    return _MAPPERS[event_type](base, event_type, obj, data)


def _map_checkout_session(
    base: dict[str, Any], event_type: str, session: Mapping[str, Any], _data: Mapping[str, Any]
) -> DomainPaymentEvent:
    if session.get("mode") != "payment":
        # A setup-mode session completing says nothing about money; `setup_intent.succeeded` carries the
        # mandate with our metadata, so that is the one event acted on.
        return IgnoredEvent(**base, reason=f"checkout session in {session.get('mode')!r} mode")
    fact = {
        **base,
        "invoice_id": _metadata(session, METADATA_INVOICE_ID) or _opt_str(session, "client_reference_id"),
        "payment_ref": _ref(session.get("payment_intent")) or _str(session, "id"),
        "amount": _amount(session, "amount_total"),
        "currency": _currency(session),
        "customer_ref": _ref(session.get("customer")),
    }
    if event_type == "checkout.session.async_payment_failed":
        return PaymentFailed(**fact)
    payment_status = session.get("payment_status")
    if payment_status in ("paid", "no_payment_required"):
        return PaymentSucceeded(**fact)
    if event_type == "checkout.session.async_payment_succeeded":
        # The event type itself is the statement of success, whatever the snapshot still says.
        return PaymentSucceeded(**fact)
    # completed but unpaid: a delayed method (bank debit) is on its way.
    return PaymentProcessing(**fact)


def _map_payment_intent(
    base: dict[str, Any], event_type: str, intent: Mapping[str, Any], _data: Mapping[str, Any]
) -> DomainPaymentEvent:
    fact: dict[str, Any] = {
        **base,
        "invoice_id": _metadata(intent, METADATA_INVOICE_ID),
        "payment_ref": _str(intent, "id"),
        "currency": _currency(intent),
        "customer_ref": _ref(intent.get("customer")),
        "charge_ref": _ref(intent.get("latest_charge")),
    }
    status = intent.get("status")
    # Judge by the object's own status where it is decisive: a snapshot that already says "succeeded"
    # is a success whatever the event type claims.
    if event_type == "payment_intent.succeeded" or status == "succeeded":
        received = intent.get("amount_received")
        amount = received if isinstance(received, int) and received > 0 else _amount(intent, "amount")
        return PaymentSucceeded(**fact, amount=amount, payment_method_ref=_ref(intent.get("payment_method")))
    if event_type == "payment_intent.processing":
        return PaymentProcessing(**fact, amount=_amount(intent, "amount"))
    error = intent.get("last_payment_error")
    error = error if isinstance(error, Mapping) else {}
    return PaymentFailed(
        **fact,
        amount=_amount(intent, "amount"),
        failure_code=_opt_str(error, "code"),
        decline_code=_opt_str(error, "decline_code"),
    )


def _map_setup_intent(
    base: dict[str, Any], _event_type: str, intent: Mapping[str, Any], _data: Mapping[str, Any]
) -> DomainPaymentEvent:
    customer = _ref(intent.get("customer"))
    method = _ref(intent.get("payment_method"))
    if customer is None or method is None:
        raise PaymentDataError(
            "data.object.customer", "a succeeded setup needs a customer and a payment method"
        )
    return MandateActivated(
        **base,
        invoice_id=_metadata(intent, METADATA_INVOICE_ID),
        customer_id=_metadata(intent, METADATA_CUSTOMER_ID),
        customer_ref=customer,
        payment_method_ref=method,
        mandate_ref=_ref(intent.get("mandate")),
        setup_ref=_str(intent, "id"),
    )


def _map_mandate(
    base: dict[str, Any], _event_type: str, mandate: Mapping[str, Any], _data: Mapping[str, Any]
) -> DomainPaymentEvent:
    raw_status = _str(mandate, "status")
    try:
        status = MandateStatus(raw_status)
    except ValueError:
        raise PaymentDataError("data.object.status", f"unknown mandate status {raw_status!r}") from None
    return MandateUpdated(
        **base,
        mandate_ref=_str(mandate, "id"),
        payment_method_ref=_ref(mandate.get("payment_method")),
        status=status,
    )


def _map_payment_method(
    base: dict[str, Any], _event_type: str, method: Mapping[str, Any], data: Mapping[str, Any]
) -> DomainPaymentEvent:
    # After detaching, the object's customer is null; the customer it had is in previous_attributes.
    previous = data.get("previous_attributes")
    previous = previous if isinstance(previous, Mapping) else {}
    return MandateDetached(
        **base,
        payment_method_ref=_str(method, "id"),
        customer_ref=_ref(method.get("customer")) or _ref(previous.get("customer")),
    )


def _map_refund(
    base: dict[str, Any], _event_type: str, charge: Mapping[str, Any], _data: Mapping[str, Any]
) -> DomainPaymentEvent:
    return RefundIssued(
        **base,
        invoice_id=_metadata(charge, METADATA_INVOICE_ID),
        payment_ref=_ref(charge.get("payment_intent")),
        charge_ref=_str(charge, "id"),
        amount_refunded_total=_amount(charge, "amount_refunded"),
        currency=_currency(charge),
    )


def _map_dispute(
    base: dict[str, Any], event_type: str, dispute: Mapping[str, Any], _data: Mapping[str, Any]
) -> DomainPaymentEvent:
    fact = {
        **base,
        "dispute_ref": _str(dispute, "id"),
        "charge_ref": _ref(dispute.get("charge")),
        "payment_ref": _ref(dispute.get("payment_intent")),
        "amount": _amount(dispute, "amount"),
        "currency": _currency(dispute),
        "reason": _opt_str(dispute, "reason"),
        "status": _str(dispute, "status"),
    }
    if event_type == "charge.dispute.closed":
        return DisputeClosed(**fact)
    return DisputeOpened(**fact)


_MAPPERS = {
    "checkout.session.completed": _map_checkout_session,
    "checkout.session.async_payment_succeeded": _map_checkout_session,
    "checkout.session.async_payment_failed": _map_checkout_session,
    "payment_intent.succeeded": _map_payment_intent,
    "payment_intent.payment_failed": _map_payment_intent,
    "payment_intent.processing": _map_payment_intent,
    "setup_intent.succeeded": _map_setup_intent,
    "mandate.updated": _map_mandate,
    "payment_method.detached": _map_payment_method,
    "charge.refunded": _map_refund,
    "charge.dispute.created": _map_dispute,
    "charge.dispute.closed": _map_dispute,
}
HANDLED_EVENT_TYPES = frozenset(_MAPPERS)
# What `data.object.object` must be, by the event type without its last part.
_OBJECT_OF = {
    "checkout.session": "checkout.session",
    "payment_intent": "payment_intent",
    "setup_intent": "setup_intent",
    "mandate": "mandate",
    "payment_method": "payment_method",
    "charge": "charge",
    "charge.dispute": "dispute",
}
# Bounds that keep a signed but absurd number from overflowing a datetime or a DynamoDB number:
# 32503680000 is 3000-01-01; no invoice is anywhere near 10**15 minor units.
MAX_UNIX_TIME = 32_503_680_000
MAX_MINOR_UNITS = 10**15


def _str(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise PaymentDataError(key, "missing or not a string")
    return value


def _currency(obj: Mapping[str, Any]) -> str:
    value = _str(obj, "currency")
    if len(value) != 3 or not value.isascii() or not value.isalpha():
        raise PaymentDataError("currency", "must be a three-letter ISO 4217 code")
    return value


def _opt_str(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) and value else None


def _ref(value: Any) -> str | None:
    """An id whether the field holds the id itself or an expanded object."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, Mapping):
        inner = value.get("id")
        return inner if isinstance(inner, str) and inner else None
    return None


def _amount(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PaymentDataError(key, "missing or not a non-negative integer in minor units")
    if value >= MAX_MINOR_UNITS:
        raise PaymentDataError(key, "implausibly large")
    return value


def _metadata(obj: Mapping[str, Any], key: str) -> str | None:
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        return None
    return _opt_str(metadata, key)
