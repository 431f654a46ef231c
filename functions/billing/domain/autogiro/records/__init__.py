"""Typed records of Bankgirot Autogiro files, both directions (new layout).

Requests (files to Bankgirot, manual §7) are what the writer takes and what the parser returns for
a request file; reports (files from Bankgirot, manual §8) are what the parser returns. Conventions:

* amounts are integers in öre;
* payer numbers are digit strings without leading zeros (the file field is N16, zero-filled);
* bankgiro numbers are digit strings without leading zeros;
* a personnummer/organisationsnummer ("identity") is the 12-position Autogiro form;
* references are the text as it appears in the file, blanks stripped; reports re-pad them with
  zeros, so compare them with `same_reference`.

Positions quoted in the docstrings are the manual's, 1-based.
"""

from billing.domain.autogiro.records.bgmax import BgMaxDeposit, BgMaxFile, BgMaxPayment, BgMaxSection
from billing.domain.autogiro.records.common import Direction, PeriodCode, same_reference
from billing.domain.autogiro.records.files import AutogiroFile, to_jsonable
from billing.domain.autogiro.records.registers import (
    DigitalMandate,
    DigitalMandateFile,
    DigitalMandateSection,
    FuturePayment,
    MandateRegisterEntry,
    MandateRegisterFile,
    MonitoringRegisterFile,
    MonitoringRegisterSection,
)
from billing.domain.autogiro.records.reports import (
    AmendmentReportFile,
    AmendmentReportSection,
    AmendmentResult,
    BlockKind,
    MandateNotice,
    MandateNotificationFile,
    MandateNotificationSection,
    PaymentBlock,
    PaymentResult,
    PaymentSpecificationFile,
    PaymentSpecificationSection,
    PaymentSpecificationTotals,
    PaymentStatus,
    Refund,
    RejectedPayment,
    RejectedPaymentsFile,
    RejectedPaymentsSection,
    RejectedPaymentsTotals,
    ReportOpening,
    SignedTotals,
)
from billing.domain.autogiro.records.requests import (
    AmendmentRequest,
    CancelAllPayments,
    CancelMandate,
    CancelPayment,
    CancelPaymentsOnDate,
    ChangePayerNumber,
    CreateMandate,
    MandateRequest,
    MoveAllPayments,
    MovePayerPayments,
    MovePayment,
    MovePaymentsFromDate,
    PaymentOrder,
    RejectDigitalMandate,
    RequestFile,
    RequestOpening,
    RequestRecord,
    RequestSection,
    SealInfo,
)

# BankAccount lives with its validation; records re-export it for callers that build requests.
from billing.domain.autogiro.validation import BankAccount

__all__ = [
    "AmendmentReportFile",
    "AmendmentReportSection",
    "AmendmentRequest",
    "AmendmentResult",
    "AutogiroFile",
    "BankAccount",
    "BgMaxDeposit",
    "BgMaxFile",
    "BgMaxPayment",
    "BgMaxSection",
    "BlockKind",
    "CancelAllPayments",
    "CancelMandate",
    "CancelPayment",
    "CancelPaymentsOnDate",
    "ChangePayerNumber",
    "CreateMandate",
    "DigitalMandate",
    "DigitalMandateFile",
    "DigitalMandateSection",
    "Direction",
    "FuturePayment",
    "MandateNotice",
    "MandateNotificationFile",
    "MandateNotificationSection",
    "MandateRegisterEntry",
    "MandateRegisterFile",
    "MandateRequest",
    "MonitoringRegisterFile",
    "MonitoringRegisterSection",
    "MoveAllPayments",
    "MovePayerPayments",
    "MovePayment",
    "MovePaymentsFromDate",
    "PaymentBlock",
    "PaymentOrder",
    "PaymentResult",
    "PaymentSpecificationFile",
    "PaymentSpecificationSection",
    "PaymentSpecificationTotals",
    "PaymentStatus",
    "PeriodCode",
    "Refund",
    "RejectDigitalMandate",
    "RejectedPayment",
    "RejectedPaymentsFile",
    "RejectedPaymentsSection",
    "RejectedPaymentsTotals",
    "ReportOpening",
    "RequestFile",
    "RequestOpening",
    "RequestRecord",
    "RequestSection",
    "SealInfo",
    "SignedTotals",
    "same_reference",
    "to_jsonable",
]
