"""BgMax, Bankgirot's report of incoming payments (Bankgiro Inbetalningar): records, parser, writer.

Pure: standard library only. The reconciliation that settles invoices from these records is
`billing.services.bank_payments` (docs/bgmax.md).
"""
