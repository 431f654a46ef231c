"""DynamoDB implementations of the billing ports (see billing.services.ports).

The one subtle part is `DynamoInvoiceLedger.issue`: the invoice number is allocated by a compare-and-
set on the tenant's counter inside the same transaction that stores the invoice, advances the
customer's schedule and records the run outcome. A number is therefore used exactly when an invoice
is stored: concurrent workers retry on a lost race, a retried message finds its invoice already there,
and a crash before the commit leaves nothing behind. Numbers stay gapless and unique.

The package, a module per concern: `base` (connection, backoff, index keys), `directories`,
`issuing` (the subtle part: the worker's one read, the issuing transaction, the write after the
email), `invoice_ledger` (the rest of the ledger), `audit_trail`, `run_ledger`.
"""

from __future__ import annotations

from billing.adapters.dynamo.stores.audit_trail import (
    DynamoAuditTrail,
)
from billing.adapters.dynamo.stores.base import (
    DUE_BUCKETS,
    NUMBER_RACE_ATTEMPTS,
    PAGE_TOKEN,
    RUN_TTL,
    backoff,
    connection,
    customer_key,
    due_bucket,
    to_json,
    utc,
)
from billing.adapters.dynamo.stores.directories import (
    DynamoCustomerDirectory,
    DynamoTenantDirectory,
    DynamoUsageStore,
)
from billing.adapters.dynamo.stores.invoice_ledger import (
    DynamoInvoiceLedger,
    stored_invoice,
)
from billing.adapters.dynamo.stores.run_ledger import (
    DynamoRunLedger,
)

__all__ = [
    "DUE_BUCKETS",
    "NUMBER_RACE_ATTEMPTS",
    "PAGE_TOKEN",
    "RUN_TTL",
    "DynamoAuditTrail",
    "DynamoCustomerDirectory",
    "DynamoInvoiceLedger",
    "DynamoRunLedger",
    "DynamoTenantDirectory",
    "DynamoUsageStore",
    "backoff",
    "connection",
    "customer_key",
    "due_bucket",
    "stored_invoice",
    "to_json",
    "utc",
]
