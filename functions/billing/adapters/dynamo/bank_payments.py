"""DynamoDB for bank payments (billing.services.bank_payments): BankPaymentsTable and the OCR lookup.

Every write that a retried import repeats is conditional: a deposit and a payment record are created
only if absent (a second import reads the first one's plan instead of making another), a payment's
progress is saved against its version, and a deduction takes its credit note's amount and the
customer's balance in one transaction that refuses the same deduction twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from billing.adapters.dynamo.conditions import cancellation_codes, condition_failed, written
from billing.adapters.dynamo.models import BankPaymentModel, CustomerModel, InvoiceModel
from billing.adapters.dynamo.stores import connection, stored_invoice
from billing.domain.bgmax.deductions import note_deductions
from billing.services.bank_payments.ports import DeductionResult
from billing.services.errors import RetryableError
from billing.services.ports import StoredInvoice

SAVE_ATTEMPTS = 20


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


class DynamoOcrIndex:
    def find(self, tenant_id: str, ocr: str) -> StoredInvoice | None:
        for key in InvoiceModel.ocr_index.query(ocr, InvoiceModel.tenant_id == tenant_id, limit=2):
            try:
                return stored_invoice(InvoiceModel.get(key.tenant_id, key.invoice_id, consistent_read=True))
            except DoesNotExist:
                return None
        return None


class DynamoBankLedger:
    # ------------------------------------------------------------------ items by kind

    @staticmethod
    def _get(tenant_id: str, item_key: str) -> BankPaymentModel | None:
        try:
            return BankPaymentModel.get(tenant_id, item_key, consistent_read=True)
        except DoesNotExist:
            return None

    def _create(
        self, tenant_id: str, item_key: str, status: str, data: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        """Put the item if absent and return the stored one (an earlier attempt's, if it was first)."""
        item = BankPaymentModel(
            tenant_id,
            item_key,
            status=status,
            data=data,
            updated_at=_utc(now),
            unmatched=tenant_id if data.get("unmatched_amount") else None,
        )
        try:
            item.save(condition=BankPaymentModel.item_key.does_not_exist())
        except PutError as exc:
            if not condition_failed(exc):
                raise RetryableError(f"storing {item_key} failed: {exc}") from exc
            existing = self._get(tenant_id, item_key)
            if existing is None:  # pragma: no cover - deleted in between; nothing deletes these
                raise RetryableError(f"{item_key} vanished while it was stored") from exc
            return _record(existing)
        return _record(item)

    def file_done(self, tenant_id: str, digest: str) -> dict[str, Any] | None:
        item = self._get(tenant_id, f"file#{digest}")
        return _record(item) if item is not None else None

    def mark_file(self, tenant_id: str, digest: str, details: dict[str, Any], now: datetime) -> None:
        BankPaymentModel(
            tenant_id, f"file#{digest}", status="imported", data=details, updated_at=_utc(now)
        ).save()

    def deposit(self, tenant_id: str, key: str) -> dict[str, Any] | None:
        item = self._get(tenant_id, f"deposit#{key}")
        return _record(item) if item is not None else None

    def open_deposit(self, tenant_id: str, key: str, data: dict[str, Any], now: datetime) -> dict[str, Any]:
        return self._create(tenant_id, f"deposit#{key}", "importing", data, now)

    def close_deposit(self, tenant_id: str, key: str, summary: dict[str, Any], now: datetime) -> None:
        item = BankPaymentModel.get(tenant_id, f"deposit#{key}", consistent_read=True)
        item.update(
            actions=[
                BankPaymentModel.status.set("booked"),
                BankPaymentModel.data.set({**(item.data or {}), "booked": summary}),
                BankPaymentModel.updated_at.set(_utc(now)),
                BankPaymentModel.version.add(1),
            ]
        )

    def deposits(self, tenant_id: str) -> list[dict[str, Any]]:
        return [
            _record(item)
            for item in BankPaymentModel.query(
                tenant_id, BankPaymentModel.item_key.startswith("deposit#"), consistent_read=True
            )
        ]

    def payment(self, tenant_id: str, payment_id: str) -> dict[str, Any] | None:
        item = self._get(tenant_id, f"payment#{payment_id}")
        return _record(item) if item is not None else None

    def create_payment(
        self, tenant_id: str, payment_id: str, data: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        return self._create(tenant_id, f"payment#{payment_id}", str(data["status"]), data, now)

    def update_payment(
        self,
        tenant_id: str,
        payment_id: str,
        change: Callable[[dict[str, Any]], dict[str, Any]],
        now: datetime,
    ) -> dict[str, Any]:
        """Apply `change` to the payment's data against its version; the unmatched index follows the
        record's `unmatched_amount`."""
        for _ in range(SAVE_ATTEMPTS):
            item = BankPaymentModel.get(tenant_id, f"payment#{payment_id}", consistent_read=True)
            before = dict(item.data or {})
            after = change(before)
            if after == before:
                return _record(item)
            actions: list[Any] = [
                BankPaymentModel.data.set(after),
                BankPaymentModel.status.set(str(after.get("status"))),
                BankPaymentModel.updated_at.set(_utc(now)),
                BankPaymentModel.version.add(1),
            ]
            if after.get("unmatched_amount"):
                actions.append(BankPaymentModel.unmatched.set(tenant_id))
            else:
                actions.append(BankPaymentModel.unmatched.remove())
            if not written(
                partial(item.update, actions=actions, condition=BankPaymentModel.version == item.version),
                f"saving payment {payment_id}",
            ):
                continue
            return _record(item)
        raise RetryableError(f"payment {payment_id} kept changing; retry")

    def unmatched(self, tenant_id: str) -> list[dict[str, Any]]:
        return [_record(item) for item in BankPaymentModel.unmatched_index.query(tenant_id)]

    # ------------------------------------------------------------------ deductions

    def deduct(
        self, note: StoredInvoice, ref: str, amount: int, remaining: int, now: datetime
    ) -> DeductionResult:
        """Record that the payer deducted `amount` of credit note `note` (deduction `ref`) and take the
        same amount from the customer's balance, where the note's credit waits to be used, in one
        transaction. Refused when the note has less than `amount` left or the balance does not
        hold it any more (the credit was used on an invoice already)."""
        for _ in range(SAVE_ATTEMPTS):
            item = InvoiceModel.get(note.tenant_id, note.invoice_id, consistent_read=True)
            state = dict(item.state or {})
            deductions = note_deductions(state)
            if ref in deductions.deducted:
                return DeductionResult.ALREADY
            if amount > remaining - deductions.total:
                return DeductionResult.NOT_ENOUGH_CREDIT
            state["bank"] = deductions.with_deduction(ref, amount, _utc(now)).to_record()
            try:
                with TransactWrite(connection=connection()) as tx:
                    tx.update(
                        item,
                        actions=[InvoiceModel.state.set(state), InvoiceModel.version.add(1)],
                        condition=InvoiceModel.version == item.version,
                    )
                    tx.update(
                        CustomerModel(note.tenant_id, note.invoice.customer_id),
                        actions=[CustomerModel.balance.add(-amount)],
                        condition=CustomerModel.balance >= amount,
                    )
            except TransactWriteError as exc:
                reasons = cancellation_codes(exc)
                if (
                    len(reasons) == 2
                    and reasons[1] == "ConditionalCheckFailed"
                    and reasons[0] != "ConditionalCheckFailed"
                ):
                    return DeductionResult.NOT_ENOUGH_CREDIT
                if set(reasons) <= {"ConditionalCheckFailed", "TransactionConflict", "None", None}:
                    continue  # the note changed meanwhile: read it again
                raise RetryableError(f"recording the deduction failed: {exc}") from exc
            return DeductionResult.APPLIED
        raise RetryableError("the credit note kept changing while a deduction was recorded; retry")


def _record(item: BankPaymentModel) -> dict[str, Any]:
    return {**(item.data or {}), "status": item.status, "item_key": item.item_key}
