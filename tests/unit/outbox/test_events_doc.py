"""docs/events.md is what the catalog generates, and every event the flows write is in the catalog
with a payload its model accepts (so the documented schema is the real one)."""

from __future__ import annotations

from billing.services.outbox.catalog import BY_NAME, Envelope
from infra.events_doc import DOC, render
from tests.unit.outbox.test_outbox_faults import World, run


def test_the_events_doc_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m infra.events_doc"


def test_every_event_written_is_in_the_catalog_and_matches_its_schema() -> None:
    world = World()
    run(world)
    events = world.outbox.all()
    assert len(events) == 5
    for event in events:
        assert event.event_type in BY_NAME, event.event_type
        BY_NAME[event.event_type].payload.model_validate(event.payload)
        Envelope.model_validate(event.envelope())
    for published in world.merchant.published:
        Envelope.model_validate(published)
