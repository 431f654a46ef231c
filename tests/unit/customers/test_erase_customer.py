"""Erasing a customer (EraseCustomer, docs/privacy.md) against in-memory stores: invoices kept under a
pseudonym, the identity kept apart for the bookkeeping years, everything else deleted."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from billing.domain.invoice import PERIOD, invoice_id
from billing.services.erasure import EraseCustomer
from billing.services.errors import PermanentError
from billing.services.invoice_pages import page_key
from billing.services.ports import StoredInvoice
from tests.fakes.audit import FakeAuditTrail
from tests.fakes.erasure import FakeErasureStore, FakePageEraser
from tests.unit.page.builders import invoice

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


class Clock:
    def now(self) -> datetime:
        return NOW


def _stored(customer: str, month: int, *, status: str = "paid", due: int = 0) -> StoredInvoice:
    start = date(2026, month, 1)
    inv = invoice(
        period_start=start, invoice_id=invoice_id("t1", customer, start, PERIOD), customer_id=customer
    )
    return StoredInvoice(invoice=inv, page_token=f"tok{month:02d}{customer}", status=status, amount_due=due)


def _world() -> tuple[FakeErasureStore, FakePageEraser, FakeAuditTrail, list[StoredInvoice]]:
    store, pages, audit = FakeErasureStore(), FakePageEraser(), FakeAuditTrail()
    paid = [_stored("c1", 10), _stored("c1", 11)]
    store.customers |= {("t1", "c1"), ("t1", "c2")}
    for s in [*paid, _stored("c2", 11, status="open", due=34900)]:
        store.invoices_by_id[("t1", s.invoice_id)] = s
        pages.versions[page_key(s.page_token)] = 2
        pages.versions[page_key(s.page_token) + ".pdf"] = 1
    store.mandates.add(("t1", "c1"))
    store.usage[("t1", "c1")] = 1234
    return store, pages, audit, paid


def test_a_paid_up_customer_is_erased_and_the_invoices_stay_under_a_pseudonym() -> None:
    # Given a customer with two paid invoices, a mandate and usage
    store, pages, audit, paid = _world()
    erase = EraseCustomer(store=store, pages=pages, audit=audit, clock=Clock())
    # When the operator erases them
    report = erase("t1", "c1", "anna")
    # Then both invoices are kept, under one pseudonym, with no name or address left on them
    pseudonym = report.pseudonym
    assert sorted(report.invoices_pseudonymised) == sorted(s.invoice_id for s in paid)
    for s in paid:
        kept = store.invoices_by_id[("t1", s.invoice_id)]
        assert (
            kept.invoice.customer_id == pseudonym
            and kept.invoice.buyer.name == f"Erased customer {pseudonym}"
        )
        assert kept.invoice.buyer.address == () and kept.invoice.total == s.invoice.total
        assert kept.page_token != s.page_token  # the old link retired
        # And each page and PDF version is gone, and the trail names the operator and the pseudonym
        assert (
            page_key(s.page_token) not in pages.versions
            and page_key(s.page_token) + ".pdf" not in pages.versions
        )
        (event,) = audit.events("t1", s.invoice_id)
        assert (event.action, event.actor_id, event.details) == (
            "customer_erased",
            "anna",
            {"pseudonym": pseudonym},
        )
    assert report.page_versions_deleted == 6
    # And the identity is kept apart until seven years after the year of the latest invoice
    assert report.identity_kept_until == date(2034, 1, 1)
    kept = store.identities[("t1", pseudonym)]
    assert (
        kept["customer_id"] == "c1"
        and kept["operator"] == "anna"
        and kept["buyer"]["name"] == paid[0].invoice.buyer.name
    )
    # And the customer, the mandate and the usage are deleted; the other customer is untouched
    assert ("t1", "c1") not in store.customers and ("t1", "c2") in store.customers
    assert (report.mandate_deleted, report.usage_events_deleted) == (True, 1234)
    assert ("t1", "c1") not in store.mandates and ("t1", "c1") not in store.usage


def test_a_customer_who_still_owes_is_not_erased_and_nothing_changes() -> None:
    store, pages, audit, _ = _world()
    before = dict(store.invoices_by_id)
    with pytest.raises(PermanentError) as refused:
        EraseCustomer(store=store, pages=pages, audit=audit, clock=Clock())("t1", "c2", "anna")
    assert refused.value.field == "customer" and "settle or credit" in str(refused.value)
    assert store.invoices_by_id == before and ("t1", "c2") in store.customers and audit.trails == {}


def test_an_unknown_customer_and_a_nameless_operator_are_refused_by_name() -> None:
    store, pages, audit, _ = _world()
    erase = EraseCustomer(store=store, pages=pages, audit=audit, clock=Clock())
    with pytest.raises(PermanentError) as unknown:
        erase("t1", "nobody", "anna")
    assert unknown.value.field == "customer"
    with pytest.raises(PermanentError) as nameless:
        erase("t1", "c1", "  ")
    assert nameless.value.field == "operator" and ("t1", "c1") in store.customers


def test_a_customer_without_invoices_is_deleted_and_no_identity_is_kept() -> None:
    store, pages, audit, _ = _world()
    store.customers.add(("t1", "c3"))
    report = EraseCustomer(store=store, pages=pages, audit=audit, clock=Clock())("t1", "c3", "anna")
    assert report.invoices_pseudonymised == () and report.identity_kept_until is None
    assert store.identities == {} and ("t1", "c3") not in store.customers
    assert (report.mandate_deleted, report.usage_events_deleted) == (False, 0)


def test_a_credited_invoice_with_nothing_due_does_not_hold_an_erasure() -> None:
    store, pages, audit, paid = _world()
    credited = replace(paid[0], status="credited", amount_due=0)
    store.invoices_by_id[("t1", credited.invoice_id)] = credited
    report = EraseCustomer(store=store, pages=pages, audit=audit, clock=Clock())("t1", "c1", "anna")
    assert credited.invoice_id in report.invoices_pseudonymised
