"""The demo's bank payments: customers who pay from their own bank with the OCR number (docs/bgmax.md).

Called once per past billing run of `make demo` (infra/demo.py's history loop). About a quarter of the
customers pay every invoice from their bank, three days before it is due; Bankgirot's BgMax file for
that day, written with our own writer in Bankgirot's format, goes into `bgmax/inbox/<tenant>/` and
BgMaxImportFunction settles the invoices as on AWS (receipts, pages, audit). One of them always pays
late (twelve days after the due date); one mistypes the OCR number once, in the last month, so the
payment lands on the unmatched list and customer service assigns it by hand, as
`billing payments assign` would. Only invoices still open are paid, and never on a day still to come.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from billing.domain.bgmax.writer import bgmax_file, deposit, payment, write_bgmax

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SHARE = 4  # every fourth customer (by id) pays from the bank
EARLY = timedelta(days=3)
LATE = timedelta(days=12)
HAND_MATCHER = "kundtjänst (demo)"


def _mistyped(ocr: str) -> str:
    # The last digit one off: the check digit no longer fits, as when two digits are swapped.
    return ocr[:-1] + str((int(ocr[-1]) + 1) % 10)


def pay_from_bank(tenant_id: str, run_date: date, today: date, *, last_month: bool = False) -> dict[str, Any]:
    """Bank payments of the invoices issued by the run on `run_date`; returns what was imported."""
    from billing.adapters.dynamo.models import InvoiceModel
    from billing.settings import settings
    from billing.wiring.bank import assign_bank_payment
    from billing.wiring.core import bind_tables, tenant_directory
    from infra import local_bgmax

    bind_tables()
    bankgiro = str(tenant_directory().get(tenant_id).settings.bankgiro)
    issued = sorted(
        (i for i in InvoiceModel.query(tenant_id) if i.run_id == f"{tenant_id}:{run_date.isoformat()}"),
        key=lambda i: i.customer_id,
    )
    payers = [i for n, i in enumerate(issued) if n % SHARE == 0 and i.status == "open" and i.ocr]
    by_day: dict[date, list[tuple[Any, str]]] = {}
    mistyped_by: str | None = None
    for n, item in enumerate(payers):
        due = date.fromisoformat(item.due_date)
        day = due + LATE if n == 0 else due - EARLY  # the first payer is always late
        reference = str(item.ocr)
        if last_month and n == 1:
            reference, mistyped_by = _mistyped(reference), item.invoice_id
        if day <= today:
            by_day.setdefault(day, []).append((item, reference))
    results: list[Any] = []
    for day, paying in sorted(by_day.items()):
        payments = [
            payment(int(item.amount_due), reference, code="3" if reference != item.ocr else "2", channel="1")
            for item, reference in paying
        ]
        # One deposit a day; its serial counts the days of the year (unique per bankgiro and year).
        section = deposit(bankgiro, payments, on=day, serial=day.timetuple().tm_yday)
        body = write_bgmax(bgmax_file([section], written_at=datetime.combine(day, time(17, 30), STOCKHOLM)))
        name = f"BGMAX.{tenant_id}.D{day:%y%m%d}"
        results.append(local_bgmax.import_file(tenant_id, name, body, settings().pages_bucket)["files"][0])
        for position, (item, _reference) in enumerate(paying, start=1):
            if item.invoice_id == mistyped_by:
                # Customer service finds the invoice from the payer's name and amount, and books it.
                assign_bank_payment()(
                    tenant_id, f"{section.key}-{position:03d}", item.invoice_id, HAND_MATCHER
                )
    return {"files": results, "paid": sum(len(p) for p in by_day.values()), "matched_by_hand": mistyped_by}
