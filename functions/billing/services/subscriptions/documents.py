"""Shared by the subscription verbs: the subscription document, today in the customer's calendar,
the view, and the invoice as the API shows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from billing.domain.catalog import PlanPhase, Subscription
from billing.domain.invoice import Invoice
from billing.domain.merchant_events import subscription_changed_draft
from billing.domain.parties import Customer
from billing.domain.pauses import pauses_to_document
from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario import parse_subscription
from billing.services.errors import PermanentError
from billing.services.ports import StoredInvoice, TenantAccount, TenantDirectory
from billing.services.subscriptions.fields import InvoiceView, PauseView, PhaseView, SubscriptionView
from billing.services.subscriptions.ports import SubscriptionRecord, SubscriptionRecords


class SubscriptionConflict(PermanentError):
    """The subscription is not in a state that allows this (HTTP 409)."""


class NoSubscription(PermanentError):
    """The customer has no subscription (HTTP 404)."""


def moved(
    customer_id: str, *, field: str = "customer_id", then: str = "read it and decide again"
) -> SubscriptionConflict:
    """Another change came first: the caller reads the subscription again."""
    return SubscriptionConflict(
        f"customer {customer_id!r}'s subscription changed meanwhile; {then}", field=field
    )


def save_change(
    records: SubscriptionRecords,
    tenant_id: str,
    record: SubscriptionRecord,
    changed: Subscription,
    *,
    change: str,
    effective_date: date,
    previous_plan: str | None,
    now: datetime,
    conflict: SubscriptionConflict | None = None,
) -> None:
    """Store `changed` over `record` if it is still at its version, with its subscription.changed event
    in the same write; `conflict` (by default `moved`) when another change came first."""
    event = subscription_changed_draft(
        changed,
        change=change,
        effective_date=effective_date,
        previous_plan=previous_plan,
        version=record.version + 1,
        now=now,
    )
    if not records.replace(tenant_id, record.customer.id, to_document(changed), record.version, event):
        raise conflict or moved(record.customer.id)


def today_for(customer: Customer, now: datetime) -> date:
    return now.astimezone(ZoneInfo(customer.timezone)).date()


def to_document(subscription: Subscription) -> dict[str, Any]:
    """The stored shape (what billing.domain.scenario.parse_subscription reads)."""
    document: dict[str, Any] = {
        "id": subscription.id,
        "customer_id": subscription.customer_id,
        "anchor": subscription.anchor.value,
        "phases": [{"plan": p.plan_code, "start": p.start.isoformat()} for p in subscription.phases],
    }
    if subscription.anchor_date is not None:
        document["anchor_date"] = subscription.anchor_date.isoformat()
    if subscription.end_date is not None:
        document["end_date"] = subscription.end_date.isoformat()
    if subscription.cancelled_on is not None:
        document["cancelled_on"] = subscription.cancelled_on.isoformat()
    if subscription.pauses:
        document["pauses"] = pauses_to_document(subscription.pauses)
    return document


def checked(document: dict[str, Any]) -> Subscription:
    try:
        return parse_subscription(document)
    except ScenarioError as error:
        raise PermanentError(error.reason, field=error.field.removeprefix("subscription.")) from None


def current(record: SubscriptionRecord | None, customer_id: str) -> Subscription:
    if record is None:
        raise PermanentError(f"no customer {customer_id!r}", field="customer_id", code="not_found")
    if record.subscription is None:
        raise NoSubscription(f"customer {customer_id!r} has no subscription", field="customer_id")
    return checked(record.subscription)


@dataclass(frozen=True)
class Loaded:
    """What every change starts from: the record, its subscription, the tenant, today for the customer."""

    record: SubscriptionRecord
    subscription: Subscription
    tenant: TenantAccount
    today: date


def load(
    records: SubscriptionRecords, tenants: TenantDirectory, now: datetime, tenant_id: str, customer_id: str
) -> Loaded:
    record = records.get(tenant_id, customer_id)
    subscription = current(record, customer_id)
    assert record is not None  # current() refused a missing one
    return Loaded(record, subscription, tenants.get(tenant_id), today_for(record.customer, now))


def phases_until(subscription: Subscription, day: date) -> tuple[PlanPhase, ...]:
    """The phases begun by `day` (inclusive): later, scheduled ones are what a new decision replaces."""
    return tuple(p for p in subscription.phases if p.start <= day)


def view(subscription: Subscription, today: date, next_invoice_date: date | None) -> SubscriptionView:
    return SubscriptionView(
        id=subscription.id,
        customer_id=subscription.customer_id,
        plan=subscription.plan_code_on(today),
        anchor=subscription.anchor.value,
        phases=[PhaseView(plan=p.plan_code, start=p.start.isoformat()) for p in subscription.phases],
        end_date=subscription.end_date.isoformat() if subscription.end_date else None,
        cancelled_on=subscription.cancelled_on.isoformat() if subscription.cancelled_on else None,
        next_invoice_date=next_invoice_date.isoformat() if next_invoice_date else None,
        paused=subscription.paused_on(today) is not None,
        pauses=[
            PauseView(start=p.start.isoformat(), end=p.end.isoformat(), decided_on=p.decided_on.isoformat())
            for p in subscription.pauses
        ],
    )


def invoice_view(invoice: Invoice, stored: StoredInvoice | None = None) -> InvoiceView:
    shown = stored.invoice if stored is not None else invoice
    return InvoiceView(
        id=shown.invoice_id,
        number=shown.number,
        kind=shown.kind,
        status=stored.status if stored is not None else None,
        currency=shown.currency,
        total=shown.total,
        amount_due=stored.amount_due if stored is not None else shown.amount_due,
        page_token=stored.page_token if stored is not None else None,
        document=shown.to_dict(),
    )


def pricing_error(error: ScenarioError, field: str) -> PermanentError:
    """The engine names its own arguments; the API caller knows only `field`."""
    return PermanentError(error.reason, field=field)
