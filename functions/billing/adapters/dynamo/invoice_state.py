"""An invoice's per-module state (`state["stripe"]`, `["autogiro"]`, `["dunning"]`, `["delivery"]`),
changed by one module without overwriting another's: the state is read, the module's change applied to
it, and the result written on the condition that the invoice's `version` is still the one read; when
another writer came first, it is read again and the change applied again. One loop for every module
that keeps its state on the invoice (the payment aggregate, whose write carries its outbox event in a
transaction, is checked the same way in stores/invoice_ledger.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from pynamodb.exceptions import DoesNotExist

from billing.adapters.dynamo.conditions import written
from billing.adapters.dynamo.models import InvoiceModel
from billing.services.errors import RetryableError

ATTEMPTS = 20

# The change: the invoice's whole state (a copy, the change's to alter) in, the state to store out, or
# None when there is nothing to write.
StateChange = Callable[[dict[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True)
class Changed:
    state: dict[str, Any]  # as stored after the call
    written: bool  # False: the change had nothing to write


def change_state(tenant_id: str, invoice_id: str, change: StateChange, *, what: str) -> Changed | None:
    """Apply `change` to the invoice's state and store it under the version condition, re-reading on
    a concurrent write; None when there is no such invoice. `what` names the write in errors."""
    for _ in range(ATTEMPTS):
        try:
            item = InvoiceModel.get(tenant_id, invoice_id, consistent_read=True)
        except DoesNotExist:
            return None
        before = dict(item.state or {})
        after = change(dict(before))
        if after is None:
            return Changed(before, written=False)
        update = partial(
            item.update,
            actions=[InvoiceModel.state.set(after), InvoiceModel.version.add(1)],
            condition=InvoiceModel.version == item.version,
        )
        if written(update, what):
            return Changed(after, written=True)
    raise RetryableError(f"the invoice kept changing while {what}; retry")
