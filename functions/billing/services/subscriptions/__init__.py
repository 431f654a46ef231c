"""A customer's subscription as the merchant manages it (`/v1/customers/{id}/subscription...`):
start (`start.py`), change plan (`change_plan.py`), cancel (`cancel.py`), read (`get.py`).

The pricing engine already knows what each costs (billing.domain.pricing): an upgrade is billed now by
its own plan-change invoice (the old plan's unused days credited, the new plan's charged), a downgrade
takes effect at the period's end, and a cancellation inside a billed period is credited for its unused
days on the next invoice. These use cases decide, write the new subscription, and issue that invoice
through the same ledger, numbering, page and email as a billing run. `preview=True` returns what would
be invoiced and writes nothing.
"""
