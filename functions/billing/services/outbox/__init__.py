"""The transactional outbox's use cases: drive each event's effects exactly once, in order per stream
(`DriveOutbox`); what an event says to the merchant and its money audit entry (`events`).

Writing an event is the writer's job, inside its own transaction (billing.adapters.dynamo.outbox
`add_event`); this package only reads what was committed, so whatever fails after the commit, the
next drive (the payment's redelivery, the outbox's stream, the sweep) finishes it.
"""

from billing.services.outbox.drive import DriveOutbox
from billing.services.outbox.ports import MerchantEvents, MoneyAudit, OutboxStore

__all__ = ["DriveOutbox", "MerchantEvents", "MoneyAudit", "OutboxStore"]
