"""DynamoDB for Autogiro: mandates, payer numbers, debit marks and import marks (AutogiroTable), and
the invoice's `state["autogiro"]` (InvoicesTable).

Items of AutogiroTable, all under the tenant's partition:
* `mandate#<customer id>`: the customer's one mandate (status, payer number, account, identity,
  the invoice it was given on, Bankgirot's reason). `outbox` = tenant id while a request (new or
  cancel) waits for the next file: the sparse `outbox_index` lists exactly those, no scan.
* `payer#<payer number>`: the customer of a payer number, to read Bankgirot's reports.
* `counter#payer`: the last payer number given out. A payer number is allocated per customer the
  first time they give a mandate (1, 2, 3, ... per tenant: digits, unique per payee as Bankgirot
  requires, and free of personal data) and kept for good.
* `debit#<invoice id>#<payment date>`: a debit in a request file. Written with a condition, so the
  same debit is never ordered twice.
* `import#<sha256 of the file>`: a report fully imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from billing.adapters.dynamo.conditions import cancelled_by, written
from billing.adapters.dynamo.customer_events import update_with_customer_event
from billing.adapters.dynamo.invoice_state import change_state
from billing.adapters.dynamo.models import AutogiroModel, InvoiceModel
from billing.adapters.dynamo.stores import DynamoInvoiceLedger, connection
from billing.domain.autogiro.invoice_state import AutogiroInvoiceState, autogiro_invoice_state
from billing.domain.autogiro.outcomes import Reason
from billing.domain.merchant_events import EventDraft
from billing.services.autogiro.ports import Mandate, MandateApplication, MandateStatus
from billing.services.errors import PermanentError, RetryableError
from billing.services.ports import StoredInvoice

ATTEMPTS = 20
_UNSENT = (MandateStatus.PENDING, MandateStatus.CANCEL_PENDING)
COUNTER_KEY = "counter#payer"


def _mandate_key(customer_id: str) -> str:
    return f"mandate#{customer_id}"


def _payer_key(payer_number: str) -> str:
    return f"payer#{payer_number}"


def _mandate(item: AutogiroModel) -> Mandate:
    data = dict(item.data or {})
    reason = data.get("reason")
    return Mandate(
        tenant_id=item.tenant_id,
        customer_id=str(item.customer_id),
        payer_number=str(item.payer_number),
        status=MandateStatus(str(item.status)),
        clearing=data.get("clearing"),
        account_number=data.get("account_number"),
        identity=data.get("identity"),
        invoice_id=data.get("invoice_id"),
        requested_at=datetime.fromisoformat(data["requested_at"]) if data.get("requested_at") else None,
        sent_on=date.fromisoformat(data["sent_on"]) if data.get("sent_on") else None,
        # A reason stored before the catalogs held these sentences has its English words, which are
        # the sentence's key (billing.domain.autogiro.outcomes), and its Swedish ones.
        reason=Reason(str(reason["code"]), str(reason.get("message") or reason["en"])) if reason else None,
        version=int(item.version or 1),
    )


# How long an ended (cancelled or rejected) mandate is kept before DynamoDB's TTL deletes it: long
# enough to answer a payer's claim about a debit made under it (docs/privacy.md).
ENDED_MANDATE_RETENTION = timedelta(days=400)


class DynamoMandateStore:
    def get(self, tenant_id: str, customer_id: str) -> Mandate | None:
        try:
            return _mandate(AutogiroModel.get(tenant_id, _mandate_key(customer_id), consistent_read=True))
        except DoesNotExist:
            return None

    def by_payer(self, tenant_id: str, payer_number: str) -> Mandate | None:
        try:
            item = AutogiroModel.get(tenant_id, _payer_key(payer_number.lstrip("0")), consistent_read=True)
        except DoesNotExist:
            return None
        return self.get(tenant_id, str(item.customer_id))

    def request(self, application: MandateApplication) -> Mandate:
        tenant_id, customer_id, now = application.tenant_id, application.customer_id, application.now
        account = application.account
        for _ in range(ATTEMPTS):
            current = self.get(tenant_id, customer_id)
            data = {
                "clearing": account.clearing,
                "account_number": account.number,
                "identity": application.identity,
                "invoice_id": application.invoice_id,
                "requested_at": now.astimezone(UTC).isoformat(),
            }
            if current is not None:
                # Given again after a rejection or cancellation: same payer number, new details.
                item = AutogiroModel(tenant_id, _mandate_key(customer_id))
                if not written(
                    partial(
                        item.update,
                        actions=[
                            AutogiroModel.status.set(MandateStatus.PENDING.value),
                            AutogiroModel.expires_at.remove(),
                            AutogiroModel.data.set(data),
                            AutogiroModel.outbox.set(tenant_id),
                            AutogiroModel.updated_at.set(now.astimezone(UTC)),
                            AutogiroModel.version.add(1),
                        ],
                        condition=AutogiroModel.version == current.version,
                    ),
                    "storing the mandate",
                ):
                    continue
                return _mandate(item)
            if self._create(tenant_id, customer_id, data, now):
                created = self.get(tenant_id, customer_id)
                if created is not None:
                    return created
        raise RetryableError("storing the mandate failed: too much contention")

    @staticmethod
    def _create(tenant_id: str, customer_id: str, data: dict[str, Any], now: datetime) -> bool:
        try:
            counter = AutogiroModel.get(tenant_id, COUNTER_KEY, consistent_read=True)
            last = int(counter.value or 0)
        except DoesNotExist:
            last = 0
        payer_number = str(last + 1)
        try:
            with TransactWrite(connection=connection()) as tx:
                counter_item = AutogiroModel(tenant_id, COUNTER_KEY)
                if last:
                    tx.update(
                        counter_item,
                        actions=[AutogiroModel.value.set(last + 1)],
                        condition=AutogiroModel.value == last,
                    )
                else:
                    tx.save(
                        AutogiroModel(tenant_id, COUNTER_KEY, value=1),
                        condition=AutogiroModel.item_key.does_not_exist(),
                    )
                tx.save(
                    AutogiroModel(tenant_id, _payer_key(payer_number), customer_id=customer_id),
                    condition=AutogiroModel.item_key.does_not_exist(),
                )
                tx.save(
                    AutogiroModel(
                        tenant_id,
                        _mandate_key(customer_id),
                        customer_id=customer_id,
                        payer_number=payer_number,
                        status=MandateStatus.PENDING.value,
                        outbox=tenant_id,
                        data=data,
                        updated_at=now.astimezone(UTC),
                        version=1,
                    ),
                    condition=AutogiroModel.item_key.does_not_exist(),
                )
        except TransactWriteError as exc:
            if cancelled_by(exc) - {"ConditionalCheckFailed", "TransactionConflict"}:
                raise RetryableError(f"storing the mandate failed: {exc}") from exc
            return False  # lost a race for the number or the mandate: look again
        return True

    def _set(
        self,
        mandate: Mandate,
        status: MandateStatus,
        now: datetime,
        data: dict[str, Any],
        outbox: bool,
        event: EventDraft | None = None,
    ) -> Mandate:
        item = AutogiroModel(mandate.tenant_id, _mandate_key(mandate.customer_id))
        actions: list[Any] = [
            AutogiroModel.status.set(status.value),
            AutogiroModel.data.set(data),
            AutogiroModel.updated_at.set(now.astimezone(UTC)),
            AutogiroModel.version.add(1),
            AutogiroModel.outbox.set(mandate.tenant_id) if outbox else AutogiroModel.outbox.remove(),
            # An ended mandate (personnummer, clearing, account) has an end too (docs/privacy.md).
            AutogiroModel.expires_at.set(now.astimezone(UTC) + ENDED_MANDATE_RETENTION)
            if status in (MandateStatus.REJECTED, MandateStatus.CANCELLED)
            else AutogiroModel.expires_at.remove(),
        ]
        if event is None:
            item.update(actions=actions, condition=AutogiroModel.item_key.exists())
            return _mandate(item)
        # With its merchant event: only from the status it was read in, so two imports of one report
        # (or an import and the customer's stop) cannot both report the change.
        if not update_with_customer_event(
            item,
            actions=actions,
            condition=AutogiroModel.status == mandate.status.value,
            tenant_id=mandate.tenant_id,
            customer_id=mandate.customer_id,
            draft=event,
            what="storing the mandate's answer",
        ):
            raise RetryableError(f"the mandate of {mandate.customer_id} changed meanwhile; read it again")
        stored = self.get(mandate.tenant_id, mandate.customer_id)
        if stored is None:
            raise RetryableError(f"the mandate of {mandate.customer_id} is gone")
        return stored

    def _data(self, mandate: Mandate) -> dict[str, Any]:
        item = AutogiroModel.get(mandate.tenant_id, _mandate_key(mandate.customer_id), consistent_read=True)
        return dict(item.data or {})

    def request_cancel(self, mandate: Mandate, now: datetime, event: EventDraft | None = None) -> Mandate:
        data = self._data(mandate)
        return self._set(mandate, MandateStatus.CANCEL_PENDING, now, data, outbox=True, event=event)

    def to_send(self, tenant_id: str) -> list[Mandate]:
        found = []
        for key in AutogiroModel.outbox_index.query(tenant_id):
            mandate = self.get(tenant_id, key.item_key.removeprefix("mandate#"))
            if mandate is not None and mandate.status in (
                MandateStatus.PENDING,
                MandateStatus.CANCEL_PENDING,
            ):
                found.append(mandate)
        return found

    def mark_sent(self, mandate: Mandate, sent_on: date, now: datetime) -> None:
        data = self._data(mandate)
        data["sent_on"] = sent_on.isoformat()
        # A cancellation counts as done once sent: Bankgirot confirms it later (03/33), and no debit
        # goes out for the payer meanwhile.
        status = MandateStatus.SENT if mandate.status is MandateStatus.PENDING else MandateStatus.CANCELLED
        self._set(mandate, status, now, data, outbox=False)

    def answer(
        self,
        mandate: Mandate,
        status: MandateStatus,
        reason: Reason | None,
        now: datetime,
        event: EventDraft | None = None,
    ) -> Mandate:
        data = self._data(mandate)
        data["reason"] = None if reason is None else {"code": reason.code, "message": reason.message}
        data["answered_at"] = now.astimezone(UTC).isoformat()
        # The personnummer is needed only to register the mandate: not kept once Bankgirot answered.
        # The account stays with an approved mandate, for customer service.
        data.pop("identity", None)
        if status is not MandateStatus.APPROVED:
            data.pop("account_number", None)
        return self._set(mandate, status, now, data, outbox=False, event=event)

    def claim_debit(self, tenant_id: str, invoice_id: str, debit_date: date, details: dict[str, Any]) -> bool:
        return written(
            partial(
                AutogiroModel(
                    tenant_id,
                    f"debit#{invoice_id}#{debit_date.isoformat()}",
                    data=details,
                    updated_at=datetime.now(UTC),
                ).save,
                condition=AutogiroModel.item_key.does_not_exist(),
            ),
            "marking the debit",
        )

    def release_debit(self, tenant_id: str, invoice_id: str, debit_date: date) -> None:
        AutogiroModel(tenant_id, f"debit#{invoice_id}#{debit_date.isoformat()}").delete()

    def import_done(self, tenant_id: str, digest: str) -> bool:
        try:
            AutogiroModel.get(tenant_id, f"import#{digest}", consistent_read=True)
        except DoesNotExist:
            return False
        return True

    def mark_imported(self, tenant_id: str, digest: str, details: dict[str, Any]) -> None:
        AutogiroModel(tenant_id, f"import#{digest}", data=details, updated_at=datetime.now(UTC)).save()


class DynamoAutogiroInvoices:
    def __init__(self, ledger: DynamoInvoiceLedger | None = None) -> None:
        self.ledger = ledger or DynamoInvoiceLedger()

    def open_invoices(self, tenant_id: str) -> Iterator[StoredInvoice]:
        for key in InvoiceModel.open_index.query(f"{tenant_id}#open"):
            stored = self.ledger.get(key.tenant_id, key.invoice_id)
            if stored is not None and stored.status == "open":
                yield stored

    def update_autogiro(
        self, tenant_id: str, invoice_id: str, change: Callable[[AutogiroInvoiceState], AutogiroInvoiceState]
    ) -> StoredInvoice:
        def apply(state: dict[str, Any]) -> dict[str, Any] | None:
            before = autogiro_invoice_state(state)
            after = change(before)
            return None if after == before else {**state, "autogiro": after.to_record()}

        changed = change_state(tenant_id, invoice_id, apply, what="saving the Autogiro state")
        stored = self.ledger.get(tenant_id, invoice_id) if changed else None
        if stored is None:
            raise PermanentError(f"no invoice {invoice_id}", field="invoice_id")
        return stored
