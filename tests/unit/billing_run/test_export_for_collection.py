"""The operator hands selected invoices to a collection partner (ExportForCollection), against the
billing run's fakes: the CSV with fees and interest to the export day, an audit entry per invoice
naming the operator, and every refusal naming its row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from billing.domain.dunning.errors import CollectionExportError
from billing.domain.dunning.rates import ReferenceRate, ReferenceRates
from billing.services.dunning.export_for_collection import ExportForCollection
from billing.services.errors import PermanentError
from billing.services.ports import StoredInvoice
from tests.fakes.audit import FakeAuditTrail
from tests.fakes.billing_run import FakeTenants, FixedClock
from tests.unit.billing_run.test_issue_invoice import TENANT, World

RATES = ReferenceRates(
    (ReferenceRate(date(2026, 7, 1), Decimal("2.00")), ReferenceRate(date(2027, 1, 1), Decimal("2.00")))
)


@dataclass
class FeeAgreements:
    """The part of `DunningStore` the export reads: when the customer agreed to reminder fees."""

    agreed: date | None = date(2025, 1, 1)

    def fee_agreed_on(self, tenant_id: str, customer_id: str) -> date | None:
        return self.agreed


def _world(reminded: bool = True) -> tuple[World, StoredInvoice, FakeAuditTrail, ExportForCollection]:
    world = World(1)
    world.worker(world.request())
    (stored,) = world.stored()
    sent_on = stored.invoice.due_date + timedelta(days=5)
    reminders = [{"step": 1, "sent_on": sent_on.isoformat(), "fee_minor": 6000}] if reminded else []
    world.ledger._set(TENANT, stored.invoice_id, state={"dunning": {"reminders": reminders}})
    audit = FakeAuditTrail()
    tenants = world.pages.tenants
    assert isinstance(tenants, FakeTenants)
    export = ExportForCollection(
        tenants=tenants,
        customers=world.customers,
        invoices=world.ledger,
        store=FeeAgreements(),  # type: ignore[arg-type]
        audit=audit,
        rates=RATES,
        clock=FixedClock(
            datetime.combine(stored.invoice.due_date + timedelta(days=30), datetime.min.time(), UTC)
        ),
    )
    return world, world.stored()[0], audit, export


def test_a_reminded_overdue_invoice_is_exported_with_its_fee_and_interest_and_audited() -> None:
    # Given an open invoice reminded once with a 60 kr fee, 30 days past due
    _, stored, audit, export = _world()
    # When the operator anna exports it
    lines = export(TENANT, [stored.invoice_id], "anna").split("\r\n")
    header, row = lines[0].split(","), lines[1].split(",")
    values = dict(zip(header, row, strict=True))
    # Then the row is the debt: what is owed, the fee, interest counted to the export day, the reminder
    assert values["invoice_id"] == stored.invoice_id and values["customer_id"] == stored.invoice.customer_id
    assert int(values["amount_due_minor"]) == stored.amount_due and values["reminder_fees_minor"] == "6000"
    assert int(values["interest_minor"]) > 0 and values["reminders_sent"] == "1"
    # And the invoice's trail says anna exported it
    (event,) = audit.events(TENANT, stored.invoice_id)
    assert (event.action, event.actor, event.actor_id) == ("exported_for_collection", "operator", "anna")


def test_an_invoice_never_reminded_is_refused_by_its_row_and_nothing_is_audited() -> None:
    _, stored, audit, export = _world(reminded=False)
    with pytest.raises(CollectionExportError) as refused:
        export(TENANT, [stored.invoice_id], "anna")
    assert refused.value.field == "candidates[0].reminders_sent" and audit.trails == {}


def test_an_unknown_invoice_and_one_selected_twice_are_refused() -> None:
    _, stored, audit, export = _world()
    with pytest.raises(PermanentError) as unknown:
        export(TENANT, ["inv_nope"], "anna")
    assert unknown.value.field == "invoice"
    with pytest.raises(CollectionExportError) as twice:
        export(TENANT, [stored.invoice_id, stored.invoice_id], "anna")
    assert twice.value.field == "candidates[1]" and audit.trails == {}
