"""Autogiro use cases: the mandate form on the invoice page, the daily request file, the reports.

* `AutogiroMandates` serves the form behind the invoice page's "pay automatically" link: it checks
  personnummer, clearing and account number with the domain's validation, stores a pending mandate,
  and marks the invoice so its page says the mandate is waiting for the bank.
* `ExportRequestFile` writes one tenant's request file for a moment (`now`): pending mandates and
  cancellations from the store's outbox, and debits of open invoices whose customer has an approved
  mandate. It decides each invoice's debit date once, records it on the invoice, re-renders the page
  and emails the invoice again so the customer reads "will be debited on ..." at least 8 banking
  days ahead. Debits already in a file are marked per invoice and debit date, so a second run the same
  day orders nothing twice.
* `ImportReport` reads a report Bankgirot sent (put into `autogiro/inbox/<tenant>/`): mandate answers
  update the mandate and the page; settled debits go through `ApplyPaymentEvent` like any payment;
  failed or rejected debits are recorded on the invoice with their reason for the reminder flow.

Invoice state lives in `state["autogiro"]` (docs/autogiro.md): the mandate's status and reason as the
page shows it, `debit_date` / `notified_on` / `payer_number`, `sent` (the file), `failed`, `settled`,
`reversed` and the charge attempts; read and changed as one typed value
(billing.domain.autogiro.invoice_state.AutogiroInvoiceState), each flow's change a method of it.

The package, a module per concern: `model` (the agreement settings),
`ports` (with the mandate and the form page's content), `form`, `export` (the request file, a
cancellation), `import_report`, `page_state`.
"""

from __future__ import annotations

from billing.services.autogiro.export import (
    CancelMandate,
    ExportRequestFile,
    ExportResult,
    dataset_name,
)
from billing.services.autogiro.form import (
    FORM_FIELDS,
    AutogiroMandates,
)
from billing.services.autogiro.import_report import (
    ImportReport,
    ImportResult,
    export_moment,
)
from billing.services.autogiro.model import (
    INBOX_PREFIX,
    OUTBOX_PREFIX,
    STOCKHOLM,
    AutogiroFormError,
    AutogiroNotOffered,
    AutogiroSettings,
    autogiro_settings,
)
from billing.services.autogiro.page_state import (
    autogiro_page_links,
    autogiro_page_notice,
    autogiro_page_state,
)
from billing.services.autogiro.ports import (
    CONSENT_VALUE,
    AutogiroFiles,
    AutogiroInvoices,
    Mandate,
    MandateForm,
    MandateStatus,
    MandateStore,
    MethodChange,
)

__all__ = [
    "CONSENT_VALUE",
    "FORM_FIELDS",
    "INBOX_PREFIX",
    "OUTBOX_PREFIX",
    "STOCKHOLM",
    "AutogiroFiles",
    "AutogiroFormError",
    "AutogiroInvoices",
    "AutogiroMandates",
    "AutogiroNotOffered",
    "AutogiroSettings",
    "CancelMandate",
    "ExportRequestFile",
    "ExportResult",
    "ImportReport",
    "ImportResult",
    "Mandate",
    "MandateForm",
    "MandateStatus",
    "MandateStore",
    "MethodChange",
    "autogiro_page_links",
    "autogiro_page_notice",
    "autogiro_page_state",
    "autogiro_settings",
    "dataset_name",
    "export_moment",
]
