"""Bank payments with OCR: BgMax files (Bankgiro Inbetalningar) settle invoices by themselves.

* `ImportBgMax(key)`: a BgMax file put into `bgmax/inbox/<tenant>/` (docs/bgmax.md). Each deposit
  (TK15) is stored as the bank statement will show it; each payment is planned once (which invoice,
  instalment or credit note each amount goes to, or why none) and the plan stored before anything is
  booked, then carried out: payments through `ApplyPaymentEvent`, the settlement every payment uses
  (receipt email, page, audit, reminders stop, an overpayment to the customer's balance), deductions
  (TK21, TK23) against the credit note they name. Money no invoice takes goes to the unmatched list.
* `UnmatchedPayments(tenant)`: that list. `AssignPayment(tenant, payment, invoice)`: an operator
  books an unmatched payment on an invoice; audited, then settled the same way.
* `ReverseBankPayment(tenant, payment, reason)`: the money went back to the payer (Bankgirot returned
  it, the bank recalled it): each invoice it paid is owed again through the settlement's own
  reversal (`PaymentReversed` on the same payment reference), audited, reminders follow.

Idempotent at every step: a file already imported is recognised by its SHA-256; a deposit by its
bankgiro, date and serial number (the same deposit in another file changes nothing, and one with
other contents is refused); a payment by its deposit and position; each booking by a payment
reference the settlement applies once (`bgmax:<payment>:<part>`), which is also the reference a
later `PaymentReversed` names to take it back.
"""

from billing.services.bank_payments.assign import AssignPayment
from billing.services.bank_payments.import_file import ImportBgMax
from billing.services.bank_payments.ports import (
    BankFiles,
    BankLedger,
    BankSettings,
    DeductionResult,
    ImportResult,
    OcrIndex,
    bank_settings,
)
from billing.services.bank_payments.reverse import ReverseBankPayment
from billing.services.bank_payments.unmatched import UnmatchedPayments, unmatched_view

__all__ = [
    "AssignPayment",
    "BankFiles",
    "BankLedger",
    "BankSettings",
    "DeductionResult",
    "ImportBgMax",
    "ImportResult",
    "OcrIndex",
    "ReverseBankPayment",
    "UnmatchedPayments",
    "bank_settings",
    "unmatched_view",
]
