"""relief.chosen: the customer's move of the due date, or split into instalments, writes the event in
the same write as the choice (billing.services.relief), once however the request is retried, with a
payload the catalog's model accepts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from billing.domain.outbox import OutboxEvent, invoice_stream
from billing.services.dunning import Email
from billing.services.dunning.ports import ReliefFormPage
from billing.services.errors import RetryableError
from billing.services.outbox.catalog import BY_NAME, Envelope
from billing.services.ports import StoredInvoice
from billing.services.relief import CustomerRelief, ReliefNotGranted
from tests.unit.outbox.test_reminder_faults import TENANT, World

TODAY = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # the invoice is due 30 November


class ReliefWorld(World):
    contended: int = 0  # how many of the next writes find the invoice changed under them

    def by_page_token(self, token: str) -> StoredInvoice | None:
        return next((s for s in self.invoices.values() if s.page_token == token), None)

    def save_dunning(
        self, stored: StoredInvoice, dunning: dict[str, Any], *, events: Sequence[OutboxEvent] = (), **f: Any
    ) -> bool:
        if self.contended:
            self.contended -= 1
            return False
        return super().save_dunning(stored, dunning, events=events, **f)

    def split(
        self,
        stored: StoredInvoice,
        dunning: dict[str, Any],
        children: Sequence[dict[str, Any]],
        now: datetime,
        *,
        events: Sequence[OutboxEvent] = (),
    ) -> bool:
        if not self.save_dunning(stored, dunning, events=events):
            return False
        self.invoices[stored.invoice_id] = replace(self.invoices[stored.invoice_id], status="split")
        return True

    def get_tenant(self, tenant_id: str) -> Any:
        tenant = super().get_tenant(tenant_id)
        tenant.settings.ocr_length_digit = True
        return tenant

    def notice(self, stored: StoredInvoice, tenant: Any, account: Any, kind: str, params: Any) -> Email:
        return Email(f"notice {kind}", "text", "<p>html</p>")


def _relief(world: ReliefWorld) -> CustomerRelief:
    return CustomerRelief(
        invoices=world,  # type: ignore[arg-type]
        store=world,  # type: ignore[arg-type]
        pages=world,  # type: ignore[arg-type]
        mail=world,  # type: ignore[arg-type]
        mailer=world,
        audit=world,
        clock=SimpleNamespace(now=lambda: TODAY),  # type: ignore[arg-type]
        form=_form,
    )


def _form(page: ReliefFormPage) -> str:
    """The relief form as text, so a test can read what it was given."""
    where = {"page_url": page.page_url, "error": page.error}
    return f"form {page.stored.invoice_id} {page.today} {page.choice is not None} {where}"


def _relief_events(world: World) -> list[OutboxEvent]:
    return [e for e in world.outbox.events(TENANT, invoice_stream("inv1")) if e.event_type == "relief.chosen"]


def _valid(event: OutboxEvent) -> dict[str, Any]:
    BY_NAME[event.event_type].payload.model_validate(event.payload)
    Envelope.model_validate(event.envelope())
    return event.payload


def test_moving_the_due_date_writes_relief_chosen_once_through_a_contended_write() -> None:
    world = ReliefWorld()
    world.contended = 2  # two writes lose to another change and are decided again
    _relief(world).move("tok1", "2026-12-10")
    (event,) = _relief_events(world)
    assert event.seq == 2 and world.invoices["inv1"].event_seq == 2
    payload = _valid(event)
    assert (payload["choice"], payload["due_date_moved_to"], payload["instalments"]) == (
        "move",
        "2026-12-10",
        [],
    )


def test_a_move_retried_after_a_failed_write_is_written_once() -> None:
    world = ReliefWorld()
    world.fault.at = 1  # the first write fails: the customer's browser posts again
    with pytest.raises(RetryableError):
        _relief(world).move("tok1", "2026-12-10")
    assert _relief_events(world) == []
    _relief(world).move("tok1", "2026-12-10")
    # A third post finds the date moved already: refused, and nothing more is written
    with pytest.raises(ReliefNotGranted):
        _relief(world).move("tok1", "2026-12-10")
    assert len(_relief_events(world)) == 1


def test_splitting_writes_relief_chosen_once_with_the_parts() -> None:
    world = ReliefWorld()
    world.contended = 1
    _relief(world).split("tok1", "2", "2026-12-10")
    (event,) = _relief_events(world)
    payload = _valid(event)
    assert payload["choice"] == "split" and payload["due_date_moved_to"] is None
    assert [p["number"] for p in payload["instalments"]] == [1, 2]
    assert sum(p["amount"] for p in payload["instalments"]) == world.invoices["inv1"].amount_due


def test_the_form_page_is_the_invoices_relief_form_with_the_refusal_it_was_given() -> None:
    # Given an open invoice the customer reaches by its page's link
    world = ReliefWorld()
    relief = _relief(world)
    stored = next(iter(world.invoices.values()))
    # When its relief form is asked for after a refused choice
    html = relief.form_page(
        stored.page_token, page_url="https://p/i/t", api_base="https://a", error="too late"
    )
    # Then it is the form of that invoice, for today, with a choice, the links and the reason
    assert html.startswith(f"form {stored.invoice_id} {TODAY.date()} True")
    assert "'page_url': 'https://p/i/t'" in html and "'error': 'too late'" in html
