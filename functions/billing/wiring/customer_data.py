"""Builds the customer's usage download once per container (CustomerEngagementFunction)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from billing.wiring.core import customer_directory, invoice_ledger

if TYPE_CHECKING:
    from billing.services.customer_data.usage_export import ExportUsage


@cache
def export_usage() -> ExportUsage:
    from billing.adapters.dynamo.usage import DynamoUsageExport
    from billing.services.billing_run import SystemClock
    from billing.services.customer_data.usage_export import ExportUsage

    return ExportUsage(
        invoices=invoice_ledger(),
        customers=customer_directory(),
        usage=DynamoUsageExport(),
        clock=SystemClock(),
    )
