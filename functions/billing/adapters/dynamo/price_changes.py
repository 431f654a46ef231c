"""Price changes in DynamoDB (billing.services.price_changes.ports.PriceChangeStore, Subscribers).

A version is added to the tenant's catalog and its change item written in one transaction, the
catalog conditional on its revision (nothing else changed it since it was checked) and the change on
not existing. A notice is written once per customer and change (conditional put); its send is a lease
(`lease_until`) taken by a conditional update, so two runs never send it both, released when the send
fails and cleared when it is marked sent. A choice is written only while no outcome is recorded; an
outcome only once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from billing.adapters.dynamo.conditions import cancelled_by, written
from billing.adapters.dynamo.models import CustomerModel, PriceChangeModel, TenantModel
from billing.adapters.dynamo.stores import PAGE_TOKEN, connection
from billing.domain.scenario import parse_catalog, parse_customer, parse_subscription, parse_tenant_settings
from billing.services.errors import PermanentError
from billing.services.price_changes.ports import Notice, ScheduledChange, Subscriber, TenantCatalog

OPEN = "open"
# A send holds its notice this long; a sender that died mid-send lets the next run try after it.
SEND_LEASE = timedelta(minutes=15)


def _change_key(version: str) -> str:
    return f"change#{version}"


def _notice_key(version: str, customer_id: str) -> str:
    return f"notice#{version}#{customer_id}"


def _change(item: PriceChangeModel) -> ScheduledChange:
    d = item.data
    return ScheduledChange(
        tenant_id=item.tenant_id,
        plan=d["plan"],
        version=d["version"],
        effective_date=date.fromisoformat(d["effective_date"]),
        reason=d["reason"],
        notice_months=int(d["notice_months"]),
        created_at=datetime.fromisoformat(d["created_at"]),
        state=item.state or "noticing",
    )


def _notice(item: PriceChangeModel) -> Notice:
    d = item.data
    return Notice(
        tenant_id=item.tenant_id,
        version=d["version"],
        customer_id=d["customer_id"],
        page_token=item.page_token or "",
        email=d["email"],
        from_version=d["from_version"],
        currency=d["currency"],
        periods=int(d["periods"]),
        current=int(d["current"]),
        new=int(d["new"]),
        incl_vat=bool(d["incl_vat"]),
        suggestion=d.get("suggestion"),
        status=item.state or "pending",
        sent_at=item.sent_at,
        choice=item.choice,
        chosen_at=item.chosen_at,
        outcome=item.outcome,
        name=d.get("name", ""),
        language=d.get("language", "sv"),
        country=d.get("country", "SE"),
    )


class DynamoPriceChanges:
    def tenant(self, tenant_id: str) -> TenantCatalog:
        try:
            item = TenantModel.get(tenant_id, consistent_read=True)
        except DoesNotExist as exc:
            raise PermanentError(f"unknown tenant {tenant_id!r}", field="tenant_id") from exc
        return TenantCatalog(
            settings=parse_tenant_settings(item.settings),
            catalog=parse_catalog(item.catalog),
            plans=list(item.catalog.get("plans", [])),
            revision=int(item.catalog_revision or 0),
            page=dict(item.page or {}),
        )

    def schedule(self, change: ScheduledChange, plan: dict[str, Any], revision: int) -> bool:
        stored = TenantModel.get(change.tenant_id, consistent_read=True)
        if int(stored.catalog_revision or 0) != revision:
            return False
        catalog = {**stored.catalog, "plans": [*stored.catalog.get("plans", []), plan]}
        parse_catalog(catalog)  # refuse to store what the functions could not read
        unchanged = (
            TenantModel.catalog_revision.does_not_exist()
            if stored.catalog_revision is None
            else TenantModel.catalog_revision == stored.catalog_revision
        )
        data = {**asdict(change), "effective_date": change.effective_date.isoformat()}
        data["created_at"] = change.created_at.isoformat()
        data.pop("tenant_id")
        data.pop("state")
        item = PriceChangeModel(
            change.tenant_id,
            _change_key(change.version),
            data=data,
            state=change.state,
            open_bucket=OPEN,
        )
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(
                    TenantModel(change.tenant_id),
                    actions=[
                        TenantModel.catalog.set(catalog),
                        TenantModel.catalog_revision.set(revision + 1),
                    ],
                    condition=unchanged,
                )
                tx.save(item, condition=PriceChangeModel.item_key.does_not_exist())
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in cancelled_by(exc):
                return False
            raise
        return True

    def changes(self, tenant_id: str) -> list[ScheduledChange]:
        items = PriceChangeModel.query(tenant_id, PriceChangeModel.item_key.startswith("change#"))
        return [_change(i) for i in items]

    def open_changes(self) -> list[ScheduledChange]:
        result = []
        for key in PriceChangeModel.open_index.query(OPEN):
            try:
                result.append(
                    _change(PriceChangeModel.get(key.tenant_id, key.item_key, consistent_read=True))
                )
            except DoesNotExist:
                continue
        return result

    def set_state(self, change: ScheduledChange, state: str) -> None:
        actions: list[Any] = [PriceChangeModel.state.set(state)]
        if state == "done":
            actions.append(PriceChangeModel.open_bucket.remove())
        PriceChangeModel(change.tenant_id, _change_key(change.version)).update(actions=actions)

    def add_notice(self, notice: Notice) -> bool:
        data = {
            k: v
            for k, v in asdict(notice).items()
            if k not in {"tenant_id", "page_token", "status", "sent_at", "choice", "chosen_at", "outcome"}
        }
        item = PriceChangeModel(
            notice.tenant_id,
            _notice_key(notice.version, notice.customer_id),
            data=json.loads(json.dumps(data)),
            state="pending",
            page_token=notice.page_token,
        )
        return written(partial(item.save, condition=PriceChangeModel.item_key.does_not_exist()))

    def notices(self, tenant_id: str, version: str) -> list[Notice]:
        items = PriceChangeModel.query(
            tenant_id, PriceChangeModel.item_key.startswith(f"notice#{version}#"), consistent_read=True
        )
        return [_notice(i) for i in items]

    def notice_by_token(self, token: str) -> Notice | None:
        # Tokens are ours: anything else is no notice, answered without a query.
        if not PAGE_TOKEN.fullmatch(token):
            return None
        for key in PriceChangeModel.token_index.query(token, limit=1):
            try:
                return _notice(PriceChangeModel.get(key.tenant_id, key.item_key, consistent_read=True))
            except DoesNotExist:
                return None
        return None

    def _update(self, notice: Notice, actions: list[Any], condition: Any) -> bool:
        item = PriceChangeModel(notice.tenant_id, _notice_key(notice.version, notice.customer_id))
        return written(partial(item.update, actions=actions, condition=condition))

    def claim_send(self, notice: Notice, now: datetime) -> bool:
        now = now.astimezone(UTC)
        free = PriceChangeModel.lease_until.does_not_exist() | (PriceChangeModel.lease_until < now)
        return self._update(
            notice,
            [PriceChangeModel.lease_until.set(now + SEND_LEASE)],
            (PriceChangeModel.state == "pending") & free,
        )

    def sent(self, notice: Notice, now: datetime) -> None:
        self._update(
            notice,
            [
                PriceChangeModel.state.set("sent"),
                PriceChangeModel.sent_at.set(now.astimezone(UTC)),
                PriceChangeModel.lease_until.remove(),
            ],
            PriceChangeModel.state == "pending",
        )

    def release(self, notice: Notice) -> None:
        self._update(notice, [PriceChangeModel.lease_until.remove()], PriceChangeModel.state == "pending")

    def choose(self, notice: Notice, choice: str, now: datetime) -> Notice | None:
        ok = self._update(
            notice,
            [PriceChangeModel.choice.set(choice), PriceChangeModel.chosen_at.set(now.astimezone(UTC))],
            PriceChangeModel.outcome.does_not_exist(),
        )
        return replace(notice, choice=choice, chosen_at=now) if ok else None

    def carried_out(self, notice: Notice, outcome: str, now: datetime) -> bool:
        return self._update(
            notice, [PriceChangeModel.outcome.set(outcome)], PriceChangeModel.outcome.does_not_exist()
        )


class DynamoSubscribers:
    """Every customer of a tenant with a subscription, read a page at a time."""

    def of_tenant(self, tenant_id: str) -> Iterator[Subscriber]:
        for item in CustomerModel.query(tenant_id):
            if item.subscription is None:
                continue
            yield Subscriber(
                customer=parse_customer(item.profile),
                email=item.email,
                subscription=parse_subscription(item.subscription),
            )
