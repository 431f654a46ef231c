"""What every use case that changes a late invoice's dunning and writes to its customer is built with.

The daily reminders, the operator's answer to a question and the customer's relief choice all do the
same four things around their own rule: a version-checked write of the invoice's dunning (`store`,
`invoices`), the page published again (`pages`), a letter composed and sent (`mail`, `mailer`), and the
step in the audit trail (`audit`), at the clock's time.
"""

from __future__ import annotations

from dataclasses import dataclass

from billing.services.dunning.ports import DunningMail, DunningStore
from billing.services.invoice_pages import InvoicePages
from billing.services.ports import AuditTrail, Clock, Mailer, StoredInvoices


@dataclass(kw_only=True, eq=False)
class DunningLetters:
    invoices: StoredInvoices
    store: DunningStore
    pages: InvoicePages
    mail: DunningMail
    mailer: Mailer
    audit: AuditTrail
    clock: Clock
