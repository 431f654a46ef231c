"""Stripe events kept aside, in the StripeEventsTable (billing.services.payments.HeldEvents).

- Held: an event that names a payment (PaymentIntent, charge) or invoice we have not seen yet, such as
  a dispute delivered before its payment. One item per id it names ("held#<id>#<event id>"), so the
  event that brings that id to light finds it with one query of its own key prefix; released (deleted)
  once applied. Holding and releasing are idempotent: a redelivery writes the same items again.
- Set aside: an event that can never be applied (another currency, more than its payment brought, an
  object that is not what its type says): "unusable#<event id>" with the code and field, for an
  operator. Counted by the processor (StripeEventsUnusable, with an alarm in template.yaml).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from billing.adapters.dynamo.models import StripeEventModel

# A held event is small (a Stripe event of a few KB); the query of one id's prefix returns few.
HELD = "held#"
UNUSABLE = "unusable#"


class DynamoStripeEvents:
    def hold(self, tenant_id: str, refs: Sequence[str], event: Mapping[str, Any]) -> None:
        for ref in refs:
            _keep(tenant_id, f"{HELD}{ref}#{event['id']}", event)

    def held(self, tenant_id: str, ref: str) -> list[dict[str, Any]]:
        return [
            dict(item.event or {})
            for item in StripeEventModel.query(
                tenant_id,
                StripeEventModel.item_key.startswith(f"{HELD}{ref}#"),
                consistent_read=True,
            )
        ]

    def release(self, tenant_id: str, refs: Sequence[str], event_id: str) -> None:
        for ref in refs:
            StripeEventModel(tenant_id, f"{HELD}{ref}#{event_id}").delete()

    def set_aside(self, tenant_id: str, event: Mapping[str, Any], *, code: str, field: str | None) -> None:
        _keep(tenant_id, f"{UNUSABLE}{event.get('id') or 'unknown'}", event, code=code, field=field)

    def set_aside_events(self, tenant_id: str) -> list[dict[str, Any]]:
        """What an operator looks at: every unusable event of the tenant, with its code and field."""
        return [
            {"event_id": i.event_id, "event_type": i.event_type, "code": i.code, "field": i.field}
            for i in StripeEventModel.query(tenant_id, StripeEventModel.item_key.startswith(UNUSABLE))
        ]

    def held_events(self, tenant_id: str) -> list[dict[str, Any]]:
        return [
            {"event_id": i.event_id, "event_type": i.event_type, "waiting_for": i.item_key.split("#")[1]}
            for i in StripeEventModel.query(tenant_id, StripeEventModel.item_key.startswith(HELD))
        ]


def _keep(tenant_id: str, item_key: str, event: Mapping[str, Any], **extra: Any) -> None:
    StripeEventModel(
        tenant_id,
        item_key,
        event_id=str(event.get("id") or "unknown"),
        event_type=str(event.get("type")),
        event=dict(event),
        kept_at=datetime.now(UTC),
        **extra,
    ).save()
