"""A billing run's record (billing.services.ports.RunLedger): queued, invoiced, skipped, failed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from billing.adapters.dynamo.conditions import condition_failed
from billing.adapters.dynamo.models import (
    InvoiceModel,
    RunItemModel,
)
from billing.adapters.dynamo.stores.base import RUN_TTL, utc
from billing.services.errors import RetryableError
from billing.services.ports import (
    RunOutcome,
    RunSummary,
)


class DynamoRunLedger:
    def start(self, run_id: str, tenant_id: str, run_date: date, now: datetime) -> None:
        try:
            RunItemModel(
                run_id,
                "summary",
                tenant_id=tenant_id,
                run_date=run_date.isoformat(),
                status="running",
                started_at=utc(now),
                invoiced=0,
                skipped=0,
                amounts={},
                expires_at=utc(now) + RUN_TTL,
            ).save(condition=RunItemModel.item_key.does_not_exist())
        except PutError as exc:
            if not condition_failed(exc):
                raise RetryableError(f"starting run {run_id} failed: {exc}") from exc
            # The run exists: a retried or repeated start joins it.
            RunItemModel(run_id, "summary").update(actions=[RunItemModel.status.set("running")])

    def mark_queued(self, run_id: str, tenant_id: str, customer_ids: Sequence[str]) -> None:
        expires = datetime.now(UTC) + RUN_TTL
        with RunItemModel.batch_write() as batch:
            for customer_id in customer_ids:
                batch.save(RunItemModel(run_id, f"Q#{customer_id}", tenant_id=tenant_id, expires_at=expires))
        # The count of distinct queued customers, not a sum of attempts: exact however often the
        # starter runs.
        queued = RunItemModel.count(run_id, RunItemModel.item_key.startswith("Q#"), consistent_read=True)
        RunItemModel(run_id, "summary").update(actions=[RunItemModel.queued.set(queued)])

    def outcome(self, run_id: str, customer_id: str) -> RunOutcome | None:
        try:
            item = RunItemModel.get(run_id, f"O#{customer_id}", consistent_read=True)
        except DoesNotExist:
            return None
        return RunOutcome(customer_id, item.outcome or "", item.invoice_id, item.detail)

    def record_failure(self, run_id: str, customer_id: str, reason: str, now: datetime) -> None:
        RunItemModel(run_id, f"F#{customer_id}").update(
            actions=[
                RunItemModel.detail.set(reason[:500]),
                RunItemModel.updated_at.set(utc(now)),
                RunItemModel.expires_at.set(utc(now) + RUN_TTL),
            ]
        )

    def summary(self, run_id: str) -> RunSummary | None:
        try:
            item = RunItemModel.get(run_id, "summary", consistent_read=True)
        except DoesNotExist:
            return None
        return _summary_of(item, len(self.failed_customers(run_id)))

    def mark_delivered(self, run_id: str, customer_id: str) -> None:
        try:
            RunItemModel(run_id, f"O#{customer_id}").update(
                actions=[RunItemModel.status.set("delivered")], condition=RunItemModel.item_key.exists()
            )
        except UpdateError as exc:
            if not condition_failed(exc):
                raise

    def undelivered(self, run_id: str) -> list[str]:
        """Invoiced customers whose invoice's email is not sent. The worker's one write after the email
        is to the invoice, so the invoices are read here (a batch per 100), once per start of a run,
        rather than a run item written per invoice; an outcome marked delivered needs no read."""
        outcomes = RunItemModel.query(run_id, RunItemModel.item_key.startswith("O#"), consistent_read=True)
        pending = {
            (item.tenant_id, item.invoice_id): item.item_key[2:]
            for item in outcomes
            if item.outcome == "invoiced" and item.status != "delivered" and item.invoice_id
        }
        if not pending:
            return []
        sent = {
            (i.tenant_id, i.invoice_id)
            for i in InvoiceModel.batch_get(
                list(pending),
                consistent_read=True,
                attributes_to_get=["tenant_id", "invoice_id", "email_status"],
            )
            if i.email_status == "sent"
        }
        return sorted(customer for key, customer in pending.items() if key not in sent)

    def failed_customers(self, run_id: str) -> list[str]:
        """Customers whose last attempt failed and who have no outcome yet."""
        failed: set[str] = set()
        done: set[str] = set()
        for item in RunItemModel.query(run_id, RunItemModel.item_key.startswith("F#")):
            failed.add(item.item_key[2:])
        if not failed:
            return []
        for item in RunItemModel.query(run_id, RunItemModel.item_key.startswith("O#")):
            done.add(item.item_key[2:])
        return sorted(failed - done)

    def finish_if_done(self, run_id: str, now: datetime) -> RunSummary | None:
        """Finish the run once every queued customer has an outcome. Called after every batch of the
        worker: while the run is not done, one read of the summary item decides (no query of the
        failures), and the summary returned then counts failures as 0."""
        try:
            item = RunItemModel.get(run_id, "summary", consistent_read=True)
        except DoesNotExist:
            return None
        queued, done = int(item.queued or 0), int(item.invoiced or 0) + int(item.skipped or 0)
        if item.status != "finished" and queued and done < queued:
            return _summary_of(item, failed=0)
        summary = self.summary(run_id)
        if summary is None or summary.status == "finished":
            return summary
        if (summary.queued and summary.invoiced + summary.skipped >= summary.queued) or summary.queued == 0:
            try:
                RunItemModel(run_id, "summary").update(
                    actions=[RunItemModel.status.set("finished"), RunItemModel.finished_at.set(utc(now))],
                    condition=RunItemModel.status != "finished",
                )
            except UpdateError as exc:
                if not condition_failed(exc):
                    raise
        return self.summary(run_id)


def _summary_of(item: RunItemModel, failed: int) -> RunSummary:
    return RunSummary(
        run_id=item.run_id,
        tenant_id=item.tenant_id,
        run_date=date.fromisoformat(item.run_date or "1970-01-01"),
        status=item.status or "running",
        queued=int(item.queued or 0),
        invoiced=int(item.invoiced or 0),
        skipped=int(item.skipped or 0),
        failed=failed,
        amounts={k: int(v) for k, v in (item.amounts.as_dict() if item.amounts else {}).items()},
        started_at=item.started_at,
        finished_at=item.finished_at,
    )
