"""Bank payments with OCR end to end on the local stack: invoices issued, a BgMax file from Bankgirot
put into `bgmax/inbox/<tenant>/` and handed to the import function with the EventBridge event S3
would send, as on AWS. The file is built with our own writer in Bankgirot's format.

Exact, partial, over, split-reference, deduction and unknown-reference payments: each invoice's
state, the balance, the emails and the unmatched list are checked exactly; the same file again and
the same deposit in another file change nothing; an operator assigns an unmatched payment by hand.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from billing.adapters.dynamo.models import CustomerModel, InvoiceModel
from billing.adapters.dynamo.stores import DynamoInvoiceLedger
from billing.cli import main as cli_main
from billing.domain.bgmax.writer import bgmax_file, deposit, payment, write_bgmax
from billing.domain.credit import credit_note
from billing.domain.invoice import format_invoice_number
from billing.domain.ocr import ocr_reference
from billing.services.ports import StoredInvoice
from billing.wiring.bank import bank_ledger
from billing.wiring.core import audit_trail, customer_directory, invoice_ledger, tenant_directory
from infra import demo, local_bgmax
from infra.local_run import run_billing
from tests.integration.helpers import emails_to, fetch, invoices_of

pytestmark = pytest.mark.integration

STOCKHOLM = ZoneInfo("Europe/Stockholm")
RUN_DATE = date(2026, 11, 1)
TODAY = date(2026, 11, 23)
PAID_ON = date(2026, 11, 25)
BANKGIRO = "5050-1055"  # the demo tenant's


def _import(local_env, tenant_id: str, name: str, body: bytes) -> dict:
    result = local_bgmax.import_file(tenant_id, name, body, local_env.env["PAGES_BUCKET"])
    (file_result,) = result["files"]
    return file_result


def _balance(tenant_id: str, customer_id: str) -> int:
    return int(CustomerModel.get(tenant_id, customer_id, consistent_read=True).balance or 0)


def _email(tenant_id: str, customer_id: str) -> str:
    return str(CustomerModel.get(tenant_id, customer_id).email)


def _receipts(local_env, tenant_id: str, customer_id: str) -> int:
    subjects = [
        str(m.get("subject", "")) for m in emails_to(local_env.moto_url, _email(tenant_id, customer_id))
    ]
    return sum(1 for s in subjects if s.startswith(("Kvitto", "Receipt")))


def _credit_note(tenant_id: str, stored: StoredInvoice) -> StoredInvoice:
    """The merchant credits 100 kr (excl. VAT) of an invoice: a numbered credit note with its own OCR
    number, stored as the ledger stores a document, and its credit waiting in the customer's balance
    until it is used."""
    account = customer_directory().get(tenant_id, stored.invoice.customer_id)
    settings = tenant_directory().get(tenant_id).settings
    line = next(x for x in stored.invoice.lines if x.amount >= 10000)
    note = credit_note(stored.invoice, issue_date=TODAY, amounts={line.line_id: 10000}, reason="goodwill")
    sequence = 900  # far past the run's numbers
    numbered = note.with_number(
        format_invoice_number(settings.invoice_series_prefix, sequence),
        ocr_reference(str(sequence), settings.ocr_length_digit),
    )
    now = datetime.combine(TODAY, datetime.min.time(), STOCKHOLM)
    DynamoInvoiceLedger._invoice_item(numbered, account, f"credit-{sequence}", "credit", sequence, now).save()
    CustomerModel(tenant_id, account.customer.id).update(actions=[CustomerModel.balance.add(-note.total)])
    found = invoice_ledger().get(tenant_id, numbered.invoice_id)
    assert found is not None
    return found


def _snapshot(local_env, tenant_id: str, customers: list[str]) -> dict:
    return {
        "invoices": sorted(
            (i.invoice_id, i.status, int(i.amount_due), int(i.amount_paid or 0))
            for i in invoices_of(tenant_id)
        ),
        "balances": [_balance(tenant_id, c) for c in customers],
        "emails": [len(emails_to(local_env.moto_url, _email(tenant_id, c))) for c in customers],
        "unmatched": [u["payment"] for u in _unmatched(tenant_id)],
        "deposits": sorted((d["key"], d["status"]) for d in bank_ledger().deposits(tenant_id)),
    }


def _unmatched(tenant_id: str) -> list[dict]:
    from billing.services.bank_payments import UnmatchedPayments

    return UnmatchedPayments(ledger=bank_ledger())(tenant_id)


@pytest.fixture
def issued(local_env, tenant_id, scenario_clock):
    scenario_clock(TODAY)
    demo.seed(6, TODAY, tenant_id, RUN_DATE)
    run_billing(tenant_id, RUN_DATE)
    invoices = sorted(
        (invoice_ledger().get(tenant_id, i.invoice_id) for i in invoices_of(tenant_id)),
        key=lambda s: s.invoice.customer_id,
    )
    assert len(invoices) == 6 and all(s.status == "open" for s in invoices)
    return local_env, tenant_id, invoices


def test_a_bgmax_file_settles_invoices_and_lists_what_it_cannot(issued, capsys):
    local_env, tenant_id, (exact, partial, over, split_a, split_b, deducting) = issued
    customers = [s.invoice.customer_id for s in (exact, partial, over, split_a, split_b, deducting)]
    note = _credit_note(tenant_id, deducting)
    credit = -note.invoice.total
    assert note.invoice.ocr and credit > 0 and _balance(tenant_id, deducting.invoice.customer_id) == credit
    receipts_before = [_receipts(local_env, tenant_id, c) for c in customers]

    # Given the day's BgMax file: one deposit with every kind of payment
    half = partial.amount_due // 2
    payments = [
        payment(
            exact.amount_due, exact.invoice.ocr, channel="1", payer_bankgiro="3783511", name="Exakt Betalare"
        ),
        payment(half, partial.invoice.ocr),
        payment(over.amount_due + 5000, over.invoice.ocr),
        # One amount for two invoices: the free-text field and the TK22 records Bankgirot adds
        payment(
            split_a.amount_due + split_b.amount_due,
            f"{split_a.invoice.ocr},{split_b.invoice.ocr}",
            code="3",
            channel="2",
            extra=[(split_a.invoice.ocr, 0), (split_b.invoice.ocr, 0)],
        ),
        # A company pays its invoice in full and deducts our credit note (Leverantörsbetalningar)
        payment(deducting.amount_due, deducting.invoice.ocr, channel="2"),
        payment(credit, note.invoice.ocr, channel="2", deduction=True),
        # A mistyped OCR number (the check digit fails) and a paper slip without a reference
        payment(12300, "1234567", code="3", name="Felskrivare AB", message=["Faktura november"]),
        payment(4500, "", code="1", channel="3"),
    ]
    first_deposit = deposit(BANKGIRO, payments, on=PAID_ON, serial=41, clearing="5000", account="1111116")
    body = write_bgmax(
        bgmax_file([first_deposit], written_at=datetime(2026, 11, 25, 17, 30, tzinfo=STOCKHOLM))
    )

    # When it is put into the inbox
    result = _import(local_env, tenant_id, "BGMAX.D261125", body)

    # Then every payment is booked or listed
    assert (result["deposits"], result["payments"], result["unmatched"]) == (1, 8, 2)
    assert result["unmatched_amount"] == 12300 + 4500
    ledger = invoice_ledger()
    # exact: paid, its page says so, a receipt, the audit trail says who
    paid = ledger.get(tenant_id, exact.invoice_id)
    assert (paid.status, paid.amount_due, paid.amount_paid) == ("paid", 0, exact.amount_due)
    assert paid.paid_at is not None
    status, _, html = fetch(f"{local_env.server.url}/i/{exact.page_token}")
    assert status == 200 and 'data-status="paid"' in html
    received = [
        e for e in audit_trail().events(tenant_id, exact.invoice_id) if e.action == "payment_received"
    ]
    assert len(received) == 1 and received[0].actor == "bankgirot"
    assert received[0].details["event_id"] == "bgmax:50501055-20261125-00041-001:1"
    # partial: half paid, the rest still due and asked for on the page, still open for reminders
    rest = ledger.get(tenant_id, partial.invoice_id)
    assert (rest.status, rest.amount_paid, rest.amount_due) == ("open", half, partial.amount_due - half)
    _, _, html = fetch(f"{local_env.server.url}/i/{partial.page_token}")
    assert 'data-testid="amount-due"' in html and 'data-status="paid"' not in html
    # over: paid, the 50 kr extra in the customer's balance for the next invoice
    assert ledger.get(tenant_id, over.invoice_id).status == "paid"
    assert _balance(tenant_id, over.invoice.customer_id) == 5000
    # split reference: both invoices paid in full by the one amount
    for stored in (split_a, split_b):
        assert (
            ledger.get(tenant_id, stored.invoice_id).status,
            ledger.get(tenant_id, stored.invoice_id).amount_due,
        ) == ("paid", 0)
    # deduction: the invoice paid, the credit note used up and its credit gone from the balance
    assert ledger.get(tenant_id, deducting.invoice_id).status == "paid"
    used = ledger.get(tenant_id, note.invoice_id).state["bank"]["deducted"]
    assert list(used.values()) == [credit]
    assert _balance(tenant_id, deducting.invoice.customer_id) == 0
    assert "credit_note_deducted" in [e.action for e in audit_trail().events(tenant_id, note.invoice_id)]
    # one receipt per paid or part-paid invoice, none for the credit note
    receipts = [
        _receipts(local_env, tenant_id, c) - b for c, b in zip(customers, receipts_before, strict=True)
    ]
    assert receipts == [1, 1, 1, 1, 1, 1]
    # balances of the others untouched
    assert [_balance(tenant_id, c) for c in customers] == [0, 0, 5000, 0, 0, 0]
    # the unmatched list: exactly the mistyped OCR and the slip without a reference
    unmatched = _unmatched(tenant_id)
    assert [(u["payment"], u["amount"]) for u in unmatched] == [
        ("50501055-20261125-00041-007", 12300),
        ("50501055-20261125-00041-008", 4500),
    ]
    assert unmatched[0]["reasons"] == ["1234567: wrong check digit"]
    assert unmatched[0]["payer"]["name"] == "Felskrivare AB" and unmatched[0]["message"] == "Faktura november"
    # the deposit is stored as the bank statement shows it
    (stored_deposit,) = bank_ledger().deposits(tenant_id)
    assert (stored_deposit["amount"], stored_deposit["serial"], stored_deposit["status"]) == (
        first_deposit.amount,
        "00041",
        "booked",
    )
    assert stored_deposit["account"] == {"clearing": "5000", "number": "1111116"}

    # When the same file arrives again, Then nothing changes
    before = _snapshot(local_env, tenant_id, customers)
    again = _import(local_env, tenant_id, "BGMAX.D261125.again", body)
    assert again["already_imported"] is True
    assert _snapshot(local_env, tenant_id, customers) == before

    # When the next file repeats that deposit and brings a new one (the rest of the partial invoice)
    second_deposit = deposit(
        BANKGIRO, [payment(partial.amount_due - half, partial.invoice.ocr)], on=date(2026, 11, 26), serial=42
    )
    body2 = write_bgmax(
        bgmax_file(
            [first_deposit, second_deposit], written_at=datetime(2026, 11, 26, 17, 30, tzinfo=STOCKHOLM)
        )
    )
    result2 = _import(local_env, tenant_id, "BGMAX.D261126", body2)
    # Then only the new deposit is booked: the partial invoice is now paid, with a second receipt
    assert (result2["deposits"], result2["deposits_already_booked"], result2["payments"]) == (1, 1, 1)
    assert ledger.get(tenant_id, partial.invoice_id).status == "paid"
    assert _receipts(local_env, tenant_id, partial.invoice.customer_id) - receipts_before[1] == 2
    assert [_balance(tenant_id, c) for c in customers] == [0, 0, 5000, 0, 0, 0]

    # When an operator lists the unmatched payments and assigns the mistyped one by hand
    assert cli_main(["payments", "unmatched", "--tenant", tenant_id]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [u["payment"] for u in listed] == [u["payment"] for u in unmatched]
    # (the first invoice, paid already: the money becomes that customer's balance)
    code = cli_main(
        [
            "payments",
            "assign",
            "50501055-20261125-00041-007",
            exact.invoice.number,
            "--tenant",
            tenant_id,
            "--by",
            "anna",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["status"] == "assigned"
    # Then it leaves the list, the audit trail names the operator, and the money is booked
    assert [u["payment"] for u in _unmatched(tenant_id)] == ["50501055-20261125-00041-008"]
    assigned = [
        e for e in audit_trail().events(tenant_id, exact.invoice_id) if e.action == "bank_payment_assigned"
    ]
    assert len(assigned) == 1 and assigned[0].actor == "operator" and assigned[0].actor_id == "anna"
    assert assigned[0].details["amount"] == 12300
    assert _balance(tenant_id, exact.invoice.customer_id) == 12300
    # And the same command again (a retry) books nothing twice; another invoice is refused
    assert (
        cli_main(
            ["payments", "assign", "50501055-20261125-00041-007", exact.invoice_id, "--tenant", tenant_id]
        )
        == 0
    )
    capsys.readouterr()
    assert _balance(tenant_id, exact.invoice.customer_id) == 12300
    assert (
        cli_main(
            ["payments", "assign", "50501055-20261125-00041-007", partial.invoice_id, "--tenant", tenant_id]
        )
        == 2
    )
    assert capsys.readouterr().err.strip() == "error: payment: nothing of this payment is unmatched"
    assert _balance(tenant_id, exact.invoice.customer_id) == 12300
    assert [e.action for e in audit_trail().events(tenant_id, exact.invoice_id)].count(
        "bank_payment_assigned"
    ) == 1

    # When the exact payment is taken back (Bankgirot returned the money to the payer)
    code = cli_main(
        ["payments", "reverse", "50501055-20261125-00041-001", "--reason", "returned", "--tenant", tenant_id]
    )
    assert code == 0 and json.loads(capsys.readouterr().out)["status"] == "reversed"
    # Then that invoice is owed again, its page asks for it, and the audit trail says why
    reopened = ledger.get(tenant_id, exact.invoice_id)
    assert (reopened.status, reopened.amount_due, reopened.paid_at) == ("open", exact.amount_due, None)
    _, _, html = fetch(f"{local_env.server.url}/i/{exact.page_token}")
    assert 'data-status="paid"' not in html
    actions = [e.action for e in audit_trail().events(tenant_id, exact.invoice_id)]
    assert "payment_reversed" in actions and "bank_payment_reversed" in actions
    # And the deposits are listed for bookkeeping, as the bank statement shows them
    assert cli_main(["payments", "deposits", "--tenant", tenant_id]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(d["serial"], d["amount"], d["status"]) for d in listed] == [
        ("00041", first_deposit.amount, "booked"),
        ("00042", second_deposit.amount, "booked"),
    ]


def test_files_that_cannot_be_booked_change_nothing(issued):
    local_env, tenant_id, invoices = issued
    target = invoices[0]
    good = deposit(BANKGIRO, [payment(target.amount_due, target.invoice.ocr)], on=PAID_ON, serial=7)
    stamp = datetime(2026, 11, 25, 17, 30, tzinfo=STOCKHOLM)
    refusals = {
        "another bankgiro": write_bgmax(
            bgmax_file([deposit("991-2346", good.payments, on=PAID_ON, serial=7)], written_at=stamp)
        ),
        "a test file": write_bgmax(bgmax_file([good], written_at=stamp, test=True)),
        "damaged": write_bgmax(bgmax_file([good], written_at=stamp)).replace(b"SEK", b"EUR", 1),
    }
    for name, body in refusals.items():
        result = _import(local_env, tenant_id, name.replace(" ", "-"), body)
        assert "error" in result, name
    assert invoice_ledger().get(tenant_id, target.invoice_id).status == "open"
    assert bank_ledger().deposits(tenant_id) == []
    # A deposit booked once, then sent again with other contents, is refused whole
    _import(local_env, tenant_id, "good", write_bgmax(bgmax_file([good], written_at=stamp)))
    changed = deposit(BANKGIRO, [payment(target.amount_due + 100, target.invoice.ocr)], on=PAID_ON, serial=7)
    result = _import(local_env, tenant_id, "changed", write_bgmax(bgmax_file([changed], written_at=stamp)))
    assert result["field"] == "deposit" and "other contents" in result["error"]
    assert _balance(tenant_id, target.invoice.customer_id) == 0
    stored = InvoiceModel.get(tenant_id, target.invoice_id)
    assert stored.status == "paid" and int(stored.amount_paid) == target.amount_due
