"""A believable payment history for the demo: most invoices paid, a few late, one disputed, one asked about.

Called by `infra.demo` after each past month's billing run. Without it every earlier invoice stayed
unpaid, so pages thanked long-time customers while they were, on paper, months in arrears. Payments
go through the same use case the Stripe webhook and the Autogiro report files use
(`ApplyPaymentEvent`), so the invoices, pages, receipts and audit trail are what a real month leaves.

Deterministic: who pays how, and how late, follows from the customer id and the month.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta
from typing import Any

from infra import demo_data

# Of every 20 customer-months: 1 pays late (12-20 days after the due date); the rest pay on time
# by card (Stripe) or by Autogiro (on the due date); the most recent month leaves 1 in 20 unpaid.
LATE = 1
UNPAID_LAST_MONTH = 1
AUTOGIRO_SHARE = 8  # of 20: Autogiro payers; the others pay by card


def _dice(customer_id: str, month: date, salt: str) -> int:
    """0-19, fixed by customer, month and what is decided."""
    digest = hashlib.sha256(f"{customer_id}|{month.isoformat()}|{salt}".encode()).digest()
    return digest[0] % 20


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=demo_data.STOCKHOLM)


def _record_quietly(ledger: Any, stored: Any, event: Any) -> None:
    """The payment as the settlement use case stores it, without its effects (re-rendering a page nobody
    opens, a receipt months old): the invoice, its status and paid date are what the history reads."""
    from dataclasses import replace

    from billing.domain.outbox import EFFECT_AUDIT, invoice_stream
    from billing.domain.payments import InvoicePaymentStatus, apply_event
    from billing.services.settlement import payment_event, payments_of
    from billing.wiring.outbox import drive_outbox

    outcome = apply_event(payments_of(stored), event)
    paid_at = event.occurred_at if outcome.payments.status is InvoicePaymentStatus.PAID else None
    # Its money audit entry all the same (the trail accounts for every öre), and nothing else.
    record = replace(payment_event(stored, outcome, event, "stripe"), effects=(EFFECT_AUDIT,))
    ledger.save_payments(
        stored, outcome.payments, paid_at=paid_at, disputed=outcome.payments.disputed, events=(record,)
    )
    drive_outbox().stream(stored.tenant_id, invoice_stream(stored.invoice_id))


def settle_month(
    customers: list[demo_data.DemoCustomer], month: date, *, last: bool, recent: bool = True
) -> dict[str, int]:
    """Pay the invoices of `month` as a real month goes. `last`: the most recent past month (a few stay
    unpaid there, overdue by now). `recent`: through the settlement use case with its effects (pages
    re-rendered, receipts sent); older months are stored quietly, which keeps `make demo` quick.
    Returns counts by outcome."""
    from billing.domain.payments import PaymentSucceeded
    from billing.wiring.core import apply_payment_event, invoice_ledger

    ledger = invoice_ledger()
    apply = apply_payment_event()
    counts = {"paid": 0, "late": 0, "unpaid": 0, "disputed": 0}
    for c in customers:
        cid = str(c.profile["id"])
        found = ledger.history(demo_data.TENANT_ID, cid, demo_data.add_months(month, 1), 1)
        stored = found[-1] if found else None
        if stored is None or stored.invoice.period is None or stored.invoice.period.start != month:
            continue
        if stored.status != "open" or stored.amount_due <= 0:
            continue
        roll = _dice(cid, month, "pays")
        if last and roll < UNPAID_LAST_MONTH:
            counts["unpaid"] += 1
            continue
        late = LATE <= roll < LATE + LATE
        autogiro = _dice(cid, month, "method") < AUTOGIRO_SHARE
        due = stored.invoice.due_date
        paid_on = (
            due + timedelta(days=12 + _dice(cid, month, "days") % 9)
            if late
            else (due if autogiro else due - timedelta(days=1 + _dice(cid, month, "early") % 10))
        )
        ref = f"demo_{'ag' if autogiro else 'pi'}_{stored.invoice_id[-24:]}"
        event: Any = PaymentSucceeded(
            event_id=f"demo-history:{stored.invoice_id}:paid",
            event_type="demo.history.paid",
            occurred_at=_at(paid_on),
            invoice_id=stored.invoice_id,
            payment_ref=ref,
            amount=stored.amount_due,
            currency=stored.invoice.currency,
            payment_method_ref="autogiro" if autogiro else "card",
        )
        if recent:
            apply(demo_data.TENANT_ID, stored.invoice_id, event, "autogiro" if autogiro else "stripe")
        else:
            _record_quietly(ledger, stored, event)
        counts["late" if late else "paid"] += 1
    return counts


def dispute_and_question(customers: list[demo_data.DemoCustomer], month: date) -> None:
    """One card payment disputed by the customer's bank, and one question asked and answered, on the
    invoices of `month` of the first customers who have one."""
    from billing.domain.payments import DisputeOpened
    from billing.services.settlement import payments_of
    from billing.wiring.core import answer_question, apply_payment_event, invoice_ledger, page_actions

    ledger = invoice_ledger()
    invoices = []
    for c in customers:
        found = ledger.history(demo_data.TENANT_ID, str(c.profile["id"]), demo_data.add_months(month, 1), 1)
        if found and found[-1].invoice.period and found[-1].invoice.period.start == month:
            invoices.append(found[-1])
    # A card payment of this history's (the bank payers of infra/demo_bank.py have no card to dispute).
    paid = [
        s
        for s in invoices
        if s.status == "paid" and f"demo_pi_{s.invoice_id[-24:]}" in payments_of(s).applied_by_ref
    ]
    if paid:
        disputed = paid[0]
        apply_payment_event()(
            demo_data.TENANT_ID,
            disputed.invoice_id,
            DisputeOpened(
                event_id=f"demo-history:{disputed.invoice_id}:dispute",
                event_type="demo.history.dispute",
                occurred_at=_at(disputed.invoice.due_date + timedelta(days=20)),
                dispute_ref=f"demo_dp_{disputed.invoice_id[-24:]}",
                charge_ref=None,
                payment_ref=f"demo_pi_{disputed.invoice_id[-24:]}",
                amount=disputed.invoice.total,
                currency=disputed.invoice.currency,
                reason="product_not_received",
                status="needs_response",
            ),
            "stripe",
        )
    if len(invoices) > 1:
        asked = invoices[1]
        data_line = next((x for x in asked.invoice.lines if x.charge_code == "data"), None)
        question = page_actions().ask(
            asked.page_token,
            "Varför blev surfen dyrare den här månaden?",
            data_line.line_id if data_line else None,
        )
        answer_question()(
            demo_data.TENANT_ID,
            asked.invoice_id,
            question.question_id,
            "Du surfade mer än de 3 GB som ingår, så det tillkom extra surf.",
            "demo",
        )
