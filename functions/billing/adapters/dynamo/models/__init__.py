"""PynamoDB models, one per table in template.yaml (a test keeps the two in step).

Table names are not known until runtime (CloudFormation names them), so `bind(settings)` sets them
once at cold start. Business documents (tenant settings, catalog, customer profile, the computed
invoice) are stored as JSON strings: exact integers and decimal strings survive the round trip,
which a DynamoDB map of numbers-as-floats would not guarantee through PynamoDB's raw maps.

A module per area: `core` (the run's tables), `invoices`, `payments`, `outbox`, `engagement`.
"""

from __future__ import annotations

from pynamodb.models import Model

from billing.adapters.dynamo.models.core import (
    ApiKeyModel,
    CounterModel,
    CustomerModel,
    DueIndex,
    RunItemModel,
    TenantModel,
    UsageLedgerModel,
    UsageModel,
)
from billing.adapters.dynamo.models.engagement import (
    EngagementModel,
    NoticeTokenIndex,
    OpenChangesIndex,
    PriceChangeModel,
)
from billing.adapters.dynamo.models.invoices import (
    CustomerInvoicesIndex,
    InvoiceEventModel,
    InvoiceModel,
    OcrIndex,
    OpenInvoicesIndex,
    OpenQuestionsIndex,
    PageActivityModel,
    PageIndex,
)
from billing.adapters.dynamo.models.outbox import (
    CustomerMoneyIndex,
    MoneyAuditModel,
    OutboxModel,
    PendingOutboxIndex,
    WebhookEndpointModel,
)
from billing.adapters.dynamo.models.payments import (
    AutogiroModel,
    AutogiroOutboxIndex,
    BankPaymentModel,
    StripeEventModel,
    StripeRefModel,
    UnmatchedPaymentsIndex,
)
from billing.settings import Settings

MODELS_BY_TABLE_SETTING: dict[str, type[Model]] = {
    "tenants_table": TenantModel,
    "customers_table": CustomerModel,
    "usage_table": UsageModel,
    "invoices_table": InvoiceModel,
    "runs_table": RunItemModel,
    "counters_table": CounterModel,
    "usage_ledger_table": UsageLedgerModel,
    "api_keys_table": ApiKeyModel,
    "invoice_events_table": InvoiceEventModel,
    "autogiro_table": AutogiroModel,
    "bank_payments_table": BankPaymentModel,
    "stripe_events_table": StripeEventModel,
    "stripe_refs_table": StripeRefModel,
    "page_activity_table": PageActivityModel,
    "outbox_table": OutboxModel,
    "money_audit_table": MoneyAuditModel,
    "webhooks_table": WebhookEndpointModel,
    "price_changes_table": PriceChangeModel,
    "engagement_table": EngagementModel,
}


def bind(settings: Settings) -> None:
    """Point every model whose table this function was given at it. Call once per process, before the
    first request. A model of a table the function's environment does not name stays unbound, and its
    first request is a ConfigError naming the variable (base.TableModel)."""
    for setting, model in MODELS_BY_TABLE_SETTING.items():
        variable = setting.upper()
        name = settings.get(variable)
        model.Meta.variable = variable  # type: ignore[attr-defined]
        if name is not None and model.Meta.table_name != name:
            model.Meta.table_name = name
            # PynamoDB caches a connection bound to the old name on the class.
            model._connection = None


__all__ = [
    "MODELS_BY_TABLE_SETTING",
    "ApiKeyModel",
    "AutogiroModel",
    "AutogiroOutboxIndex",
    "BankPaymentModel",
    "CounterModel",
    "CustomerInvoicesIndex",
    "CustomerModel",
    "CustomerMoneyIndex",
    "DueIndex",
    "EngagementModel",
    "InvoiceEventModel",
    "InvoiceModel",
    "MoneyAuditModel",
    "NoticeTokenIndex",
    "OcrIndex",
    "OpenChangesIndex",
    "OpenInvoicesIndex",
    "OpenQuestionsIndex",
    "OutboxModel",
    "PageActivityModel",
    "PageIndex",
    "PendingOutboxIndex",
    "PriceChangeModel",
    "RunItemModel",
    "StripeEventModel",
    "StripeRefModel",
    "TenantModel",
    "UnmatchedPaymentsIndex",
    "UsageLedgerModel",
    "UsageModel",
    "WebhookEndpointModel",
    "bind",
]
