"""The customer's own data, handed over from the invoice page (issue 18): their usage events and daily
totals (`usage_export.ExportUsage`)."""
