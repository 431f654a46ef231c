"""Numbered credit notes as ledger documents (`POST /v1/invoices/{id}/credit_notes`, `billing creditnote`):
create (`create.py`), read and list (`get.py`).

The engine computes the note (billing.domain.credit.credit_note: the whole invoice or parts of lines,
VAT per line's rate, never more than is left). Issuing is one transaction (`CreditNoteLedger.issue`):
the next number of the tenant's credit-note series, the note, the credited invoice's amount due
lowered by the credit (an unpaid one) and the rest to the customer's balance (a paid one), which the
next invoice uses. The note then gets its page, PDF and email like any invoice, and the credited
invoice's page is rendered again with the note on it.
"""
