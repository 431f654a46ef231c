"""DynamoDB side of issue 18's bookkeeping (EngagementTable, keys in models.EngagementModel): which
invoice an email was, the emails SES reported undelivered, the monthly engagement counts, and the
undelivered mark on the invoice itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from billing.adapters.dynamo.conditions import cancelled_by, condition_failed
from billing.adapters.dynamo.invoice_state import change_state
from billing.adapters.dynamo.models import EngagementModel, InvoiceModel
from billing.services.deliveries.ports import SentEmail, UndeliveredEmail
from billing.services.errors import RetryableError

MESSAGE_TTL = timedelta(days=400)  # SES reports bounces within days; a complaint may come weeks later
RECORD_TTL = timedelta(days=800)


class DynamoDeliveryLog:
    def sent(self, email: SentEmail, at: datetime) -> None:
        EngagementModel(
            f"msg#{email.message_id}",
            "-",
            tenant_id=email.tenant_id,
            invoice_id=email.invoice_id,
            kind=email.kind,
            step=email.step,
            at=at.astimezone(UTC).isoformat(),
            expires_at=at.astimezone(UTC) + MESSAGE_TTL,
        ).save()

    def lookup(self, message_id: str) -> SentEmail | None:
        try:
            item = EngagementModel.get(f"msg#{message_id}", "-", consistent_read=True)
        except DoesNotExist:
            # An invoice's own email has no item here: the billing worker records the message id on the
            # invoice in its one write after the email, and the sparse message_index finds it.
            for key in InvoiceModel.message_index.query(message_id, limit=1):
                return SentEmail(message_id, key.tenant_id, key.invoice_id, "invoice")
            return None
        step = int(item.step) if item.step is not None else None
        return SentEmail(message_id, str(item.tenant_id), str(item.invoice_id), str(item.kind), step)

    def record_undelivered(self, email: UndeliveredEmail) -> bool:
        """One transaction: the claim on the message id ("msg#<id>", "undelivered": SES may report one
        message twice, as a bounce and a complaint, at different times) and the tenant's list item."""
        at = email.at.astimezone(UTC)
        claim = EngagementModel(
            f"msg#{email.message_id}", "undelivered", at=at.isoformat(), expires_at=at + RECORD_TTL
        )
        listed = EngagementModel(
            f"{email.tenant_id}#undelivered",
            f"{at.isoformat()}#{email.message_id}",
            tenant_id=email.tenant_id,
            invoice_id=email.invoice_id,
            kind=email.kind,
            reason=email.reason,
            at=at.isoformat(),
            expires_at=at + RECORD_TTL,
        )
        try:
            with TransactWrite(connection=Connection()) as tx:
                tx.save(claim, condition=EngagementModel.pk.does_not_exist())
                tx.save(listed)
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in cancelled_by(exc):
                return False
            raise RetryableError("the undelivered email could not be recorded") from exc
        return True

    def undelivered(self, tenant_id: str, since: datetime, until: datetime) -> Iterator[UndeliveredEmail]:
        lo, hi = since.astimezone(UTC).isoformat(), until.astimezone(UTC).isoformat()
        for item in EngagementModel.query(f"{tenant_id}#undelivered", EngagementModel.sk.between(lo, hi)):
            if item.sk >= hi:
                continue
            yield UndeliveredEmail(
                tenant_id=tenant_id,
                invoice_id=str(item.invoice_id),
                kind=str(item.kind),
                reason=str(item.reason),
                at=datetime.fromisoformat(str(item.at)),
                message_id=item.sk.split("#", 1)[1],
            )


class DynamoEngagementCounts:
    def add(self, tenant_id: str, month: str, name: str, value: int = 1) -> None:
        EngagementModel(f"{tenant_id}#counts", f"{month}#{name}").update(
            actions=[EngagementModel.tally.add(value), EngagementModel.tenant_id.set(tenant_id)]
        )

    def month_counts(self, tenant_id: str, first: str, last: str) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for item in EngagementModel.query(
            f"{tenant_id}#counts", EngagementModel.sk.between(first, last + "~"), consistent_read=True
        ):
            month, name = item.sk.split("#", 1)
            out[(month, name)] = int(item.tally or 0)
        return out


class DynamoInvoiceDeliveries:
    """The mark on the invoice: state["delivery"] for its own email, `undelivered` on the reminder
    record with the message id (billing.services.dunning does not count it). Conditional on the
    invoice's version, re-read on a conflict, like every other writer of its state."""

    def mark_undelivered(self, email: UndeliveredEmail) -> bool:
        changed = change_state(
            email.tenant_id,
            email.invoice_id,
            lambda state: state if _marked(state, email) else None,
            what="marking the invoice's email undelivered",
        )
        return changed is not None and changed.written


def _marked(state: dict[str, Any], email: UndeliveredEmail) -> bool:
    """Put the mark into `state`; False when it is there already (or nothing matches)."""
    mark = {"status": "undelivered", "reason": email.reason, "at": email.at.isoformat()}
    if email.kind == "reminder":
        dunning = dict(state.get("dunning") or {})
        reminders = [dict(r) for r in dunning.get("reminders") or []]
        found = [r for r in reminders if r.get("message_id") == email.message_id]
        if not found or all(r.get("undelivered") for r in found):
            return False
        for r in found:
            r["undelivered"] = mark
        state["dunning"] = {**dunning, "reminders": reminders}
        return True
    delivery = dict(state.get("delivery") or {})
    if delivery.get("message_id") == email.message_id and delivery.get("status") == "undelivered":
        return False
    state["delivery"] = {**mark, "message_id": email.message_id}
    return True


class DynamoExitConfirmations:
    """The claim on a cancellation's confirmation email: one item per customer and end date."""

    kind = "exit"

    def claim(self, tenant_id: str, customer_id: str, end_date: date) -> bool:
        try:
            EngagementModel(
                f"{tenant_id}#{self.kind}#{customer_id}", end_date.isoformat(), tenant_id=tenant_id
            ).save(condition=EngagementModel.pk.does_not_exist())
        except PutError as exc:
            if condition_failed(exc):
                return False
            raise RetryableError("the confirmation could not be claimed") from exc
        return True

    def release(self, tenant_id: str, customer_id: str, end_date: date) -> None:
        EngagementModel(f"{tenant_id}#{self.kind}#{customer_id}", end_date.isoformat()).delete()


class DynamoPauseConfirmations(DynamoExitConfirmations):
    """The claim on a pause's confirmation email: one item per customer and pause start."""

    kind = "pause"
