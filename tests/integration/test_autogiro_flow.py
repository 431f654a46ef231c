"""Autogiro end to end on the local stack: the mandate form on the invoice page, the daily request
file, Bankgirot's mandate notification, the debit order, the payment specification, a paid page.

Bankgirot's answers are built here in Bankgirot's real new-layout format (FORMAT.md §1.3), then put
into `autogiro/inbox/<tenant>/` and handed to the import function with the EventBridge event S3
would send, as on AWS.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from datetime import date

import boto3
import pytest

from billing.adapters.dynamo.models import TenantModel
from billing.cli import main as cli_main
from billing.domain.autogiro.bankdays import (
    banking_days_between,
    is_banking_day,
    next_banking_day,
    previous_banking_day,
)
from billing.domain.autogiro.parser import parse_file
from billing.domain.autogiro.records import CancelMandate, CreateMandate, Direction, PaymentOrder, RequestFile
from billing.services.autogiro import MandateStatus
from billing.wiring.core import audit_trail, autogiro_store, invoice_ledger
from infra import demo, local_autogiro
from infra.local_run import run_billing
from tests.integration.helpers import emails_to, fetch, invoices_of

pytestmark = pytest.mark.integration

RUN_DATE = date(2026, 11, 1)
TODAY = date(2026, 11, 23)
CUSTOMER_NUMBER = "471117"
PAYEE_BANKGIRO = "0050501055"  # the demo tenant's 5050-1055
GOOD = {"personnummer": "19121212-1212", "clearing": "5000", "account_number": "1111116", "consent": "yes"}


# ------------------------------------------------------------------ Bankgirot's side, by hand


def _line(text: str) -> str:
    assert len(text) <= 80, text
    return text.ljust(80)


def _tk01(content: str, stamp: str) -> str:
    return _line(
        "01"
        + "AUTOGIRO".ljust(20)
        + "  "
        + stamp.ljust(20)
        + content.ljust(20)
        + CUSTOMER_NUMBER
        + PAYEE_BANKGIRO
    )


def mandate_notification(answers: list[tuple[str, str, str]], on: date) -> bytes:
    """AG-MEDAVI with one TK73 per (payer number, information code, comment code)."""
    lines = [_tk01("AG-MEDAVI", on.strftime("%Y%m%d"))]
    for payer, info, comment in answers:
        lines.append(
            _line(
                "73"
                + PAYEE_BANKGIRO
                + payer.rjust(16, "0")
                + "5000"
                + "1111116".rjust(12, "0")
                + "191212121212"
                + " " * 5
                + info
                + comment
                + on.strftime("%Y%m%d")
            )
        )
    lines.append(_line("09" + on.strftime("%Y%m%d") + "9900" + str(len(answers)).rjust(7, "0")))
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


def _block(tk: str, day: str, serial: str, total: int, count: int) -> str:
    """A payment specification block opening (TK15 deposits, TK17 refunds) on the payee's account."""
    return _line(
        tk + "5000000001111116".rjust(35, "0") + day + serial + str(total).rjust(18, "0") + "   "
        + str(count).rjust(8, "0")
    )  # fmt: skip


def _payment_line(tk: str, day: str, payer: str, amount: int, reference: str, tail: str) -> str:
    """TK82 (a debit's result) or TK77 (a refund): the same fields up to the reference."""
    return _line(
        tk + day + "0" + "   " + " " + payer.rjust(16, "0") + str(amount).rjust(12, "0") + PAYEE_BANKGIRO
        + reference.rjust(16, "0") + tail
    )  # fmt: skip


def _specification(day: str, body: list[str], closing_counts: str) -> bytes:
    lines = [
        _tk01("BET. SPEC & STOPP TK", day + "080000000000"),
        *body,
        _line("09" + day + "9900" + closing_counts),
    ]
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


def payment_specification(results: list[tuple[str, int, str, str]], on: date) -> bytes:
    """BET. SPEC & STOPP TK with one incoming block: (payer number, amount öre, reference, status)."""
    approved = [r for r in results if r[3] == "0"]
    day = on.strftime("%Y%m%d")
    body = [_block("15", day, "00001" if approved else "00000", sum(r[1] for r in approved), len(approved))]
    body += [_payment_line("82", day, p, a, ref, " " * 10 + status) for p, a, ref, status in results]
    counts = "1".rjust(6, "0") + str(len(approved)).rjust(12, "0") + "0" * 36
    return _specification(day, body, counts)


def refund_specification(payer: str, amount: int, reference: str, paid_on: date, refunded_on: date) -> bytes:
    """BET. SPEC & STOPP TK with one refund block: the payer's bank took a settled debit back (TK77,
    reason 02: the mandate had been revoked)."""
    day = refunded_on.strftime("%Y%m%d")
    body = [
        _block("17", day, "00001", amount, 1),
        _payment_line("77", paid_on.strftime("%Y%m%d"), payer, amount, reference, day + "02"),
    ]
    # TK09: no deposits or withdrawals; one refund block with one refund record.
    return _specification(day, body, "0" * 36 + "1".rjust(6, "0") + "1".rjust(12, "0"))


# ------------------------------------------------------------------ the flow's steps


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _post(url: str, fields: dict[str, str]) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


def _export(tenant_id: str, on: date) -> dict:
    return local_autogiro.export(tenant_id, on)  # the Scheduler's event for 09:00 Swedish time


def _request_file(bucket: str, key: str) -> RequestFile:
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    parsed = parse_file(body)
    assert isinstance(parsed, RequestFile)
    return parsed


def _records(parsed: RequestFile) -> list[object]:
    return [r for section in parsed.sections for r in section.records]


def _import(bucket: str, tenant_id: str, name: str, body: bytes) -> dict:
    # Put into the inbox, then the EventBridge "Object Created" event S3 sends on AWS.
    result = local_autogiro.import_report(tenant_id, name, body, bucket)
    (file_result,) = result["files"]
    return file_result


def _page(local_env, token: str) -> str:
    status, _, html = fetch(f"{local_env.server.url}/i/{token}")
    assert status == 200
    return html


@pytest.fixture
def issued(local_env, tenant_id, scenario_clock):
    # The flow is written for Monday 23 November 2026 (banking days, file names, "dec" on the page).
    scenario_clock(TODAY)
    demo.seed(2, TODAY, tenant_id, RUN_DATE)
    tenant = TenantModel.get(tenant_id)
    tenant.page = {**(tenant.page or {}), "autogiro": {"customer_number": CUSTOMER_NUMBER}}
    tenant.save()
    run_billing(tenant_id, RUN_DATE)
    invoices = sorted(invoices_of(tenant_id), key=lambda i: i.customer_id)
    assert len(invoices) == 2
    return local_env, tenant_id, invoices


def test_mandate_request_debit_and_settlement_end_to_end(issued):
    local_env, tenant_id, (paying, failing) = issued
    bucket = local_env.env["PAGES_BUCKET"]
    base = local_env.server.url
    mandates, _ = autogiro_store()

    # Given the invoice page links to the Autogiro form
    assert f"/v1/pages/{paying.page_token}/autogiro" in _page(local_env, paying.page_token)
    status, _, form = fetch(f"{base}/v1/pages/{paying.page_token}/autogiro")
    assert status == 200 and 'name="personnummer"' in form and "Autogiro" in form

    # When a wrong personnummer is posted, Then the form comes back with that field marked, nothing stored
    status, _, html = _post(
        f"{base}/v1/pages/{paying.page_token}/autogiro", {**GOOD, "personnummer": "19121212-1213"}
    )
    assert status == 400 and 'data-field="personnummer"' in html and 'value="5000"' in html
    assert mandates.get(tenant_id, paying.customer_id) is None
    # When consent is missing, Then consent is the field at fault
    status, _, html = _post(f"{base}/v1/pages/{paying.page_token}/autogiro", {**GOOD, "consent": ""})
    assert status == 400 and 'data-field="consent"' in html

    # When both customers give a good mandate
    for invoice in (paying, failing):
        status, headers, _ = _post(f"{base}/v1/pages/{invoice.page_token}/autogiro", GOOD)
        # Then they are sent back to the invoice page, which says the mandate waits for the bank
        assert status == 303 and headers["Location"] == f"{base}/i/{invoice.page_token}"
        page = _page(local_env, invoice.page_token)
        # (in the summary since issue 17: the method in force, nothing to pay by hand meanwhile)
        assert 'data-testid="payment-notice-text"' in page and 'data-status="autopay_pending"' in page
    payer_a = mandates.get(tenant_id, paying.customer_id)
    payer_b = mandates.get(tenant_id, failing.customer_id)
    assert payer_a.status is MandateStatus.PENDING and payer_b.status is MandateStatus.PENDING
    assert payer_a.payer_number != payer_b.payer_number
    assert "autogiro_mandate_requested" in [
        e.action for e in audit_trail().events(tenant_id, paying.invoice_id)
    ]

    # When the day's request file is written
    first = _export(tenant_id, date(2026, 11, 23))
    # Then it holds a TK04 per mandate, with account and personnummer, and no debit yet
    records = _records(_request_file(bucket, first["key"]))
    created = {r.payer_number: r for r in records if isinstance(r, CreateMandate)}
    assert set(created) == {payer_a.payer_number, payer_b.payer_number}
    assert created[payer_a.payer_number].identity == "191212121212"
    assert not [r for r in records if isinstance(r, PaymentOrder)]
    assert first["key"].startswith(f"autogiro/outbox/{tenant_id}/BFEP.IBGLK.K0{CUSTOMER_NUMBER}.D261123")
    assert mandates.get(tenant_id, paying.customer_id).status is MandateStatus.SENT

    # When Bankgirot's mandate notification approves both
    answer = mandate_notification(
        [(payer_a.payer_number, "04", "32"), (payer_b.payer_number, "04", "32")], TODAY
    )
    imported = _import(bucket, tenant_id, "UAGU4.K0471117.D261123", answer)
    # Then both mandates are approved, and the page no longer offers to set one up
    assert imported["mandates"] == {"approved": 2}
    assert mandates.get(tenant_id, paying.customer_id).status is MandateStatus.APPROVED
    assert "autogiro-mandate" not in _page(local_env, paying.page_token)

    # When the next day's file is written, the debit date is decided and told
    told_on = date(2026, 11, 24)
    second = _export(tenant_id, date(2026, 11, 24))
    announced = dict(second["announced"])
    debit_date = date.fromisoformat(announced[paying.invoice_id])
    # Then it is a banking day at least 8 banking days after the notice, the page and a new email say it
    assert is_banking_day(debit_date) and banking_days_between(told_on, debit_date) >= 8
    assert debit_date >= date.fromisoformat(paying.due_date)
    html = _page(local_env, paying.page_token)
    assert 'data-status="debit_scheduled"' in html and 'data-testid="debit-date"' in html
    said = re.search(r'data-testid="debit-date">(.*?)</p>', html, re.S)
    assert said is not None and f"{debit_date.day} dec" in said.group(1).lower(), said
    email = invoice_ledger().get(tenant_id, paying.invoice_id)
    customer_email = demo_email(tenant_id, paying.customer_id)
    sent = [str(m.get("subject", "")).lower() for m in emails_to(local_env.moto_url, customer_email)]
    assert any(f"{debit_date.day} dec" in subject for subject in sent), sent
    assert email.state["autogiro"]["notified_on"] == told_on.isoformat()
    # ... and the debit is not ordered yet: it is more than the lookahead away
    assert second["debits"] == []

    # When the file is written on a day the debit date is within the lookahead
    third = _export(tenant_id, date(2026, 11, 27))
    # Then the file orders a TK82 per invoice, on the date the customer was told, with the OCR number
    orders = {
        r.payer_number: r
        for r in _records(_request_file(bucket, third["key"]))
        if isinstance(r, PaymentOrder)
    }
    order = orders[payer_a.payer_number]
    assert order.direction is Direction.INCOMING and order.payment_date == debit_date
    assert order.amount_ore == paying.amount_due and order.reference == paying.ocr
    # ... and writing the same day again orders nothing twice
    again = _export(tenant_id, date(2026, 11, 27))
    assert again["debits"] == [] and again["key"] is None

    # When the payment specification says one debit went through and the other lacked funds
    spec = payment_specification(
        [
            (payer_a.payer_number, paying.amount_due, paying.ocr, "0"),
            (payer_b.payer_number, failing.amount_due, failing.ocr, "1"),
        ],
        debit_date,
    )
    imported = _import(bucket, tenant_id, "UAGAG.K0471117.D261204", spec)
    assert imported["payments"] == {"settled": 1, "failed": 1} and imported["unmatched"] == 0
    # Then the paid invoice is settled once, and its page shows it paid
    paid = invoice_ledger().get(tenant_id, paying.invoice_id)
    assert paid.status == "paid" and paid.amount_paid == paying.amount_due
    assert 'data-status="paid"' in _page(local_env, paying.page_token)
    assert "payment_received" in [e.action for e in audit_trail().events(tenant_id, paying.invoice_id)]
    # ... and the customer got a receipt from the same settlement as card payments
    subjects = [str(m.get("subject", "")) for m in emails_to(local_env.moto_url, customer_email)]
    assert any(s.startswith(("Kvitto", "Receipt")) for s in subjects), subjects
    assert paid.state["autogiro"]["attempts"] == [
        {"attempt": 1, "on": debit_date.isoformat(), "outcome": "succeeded"}
    ]
    # ... and the failed one stays open with Bankgirot's reason on the invoice and its page
    failed = invoice_ledger().get(tenant_id, failing.invoice_id)
    assert failed.status == "open" and failed.state["autogiro"]["failed"]["code"] == "1"
    html = _page(local_env, failing.page_token)
    assert 'data-testid="payment-notice-text"' in html and 'data-status="debit_scheduled"' not in html
    assert "autogiro_payment_failed" in [
        e.action for e in audit_trail().events(tenant_id, failing.invoice_id)
    ]
    assert failed.state["autogiro"]["attempts"][-1]["outcome"] == "failed"  # what the reminder flow reads

    # When the same report is put into the inbox again, Then nothing is settled twice
    repeat = _import(bucket, tenant_id, "UAGAG.K0471117.D261204.again", spec)
    assert repeat["already_imported"] is True
    assert invoice_ledger().get(tenant_id, paying.invoice_id).amount_paid == paying.amount_due

    # When the payer's bank later takes the settled debit back (TK77)
    refund = refund_specification(
        payer_a.payer_number, paying.amount_due, paying.ocr, debit_date, date(2026, 12, 10)
    )
    _import(bucket, tenant_id, "UAGAG.K0471117.D261210", refund)
    # Then the invoice is owed again, its page asks for payment, and the reversal is on the audit trail
    reopened = invoice_ledger().get(tenant_id, paying.invoice_id)
    assert reopened.status == "open" and reopened.amount_due == paying.amount_due and reopened.paid_at is None
    assert reopened.state["autogiro"]["reversed"]["code"] == "02"
    assert "payment_reversed" in [e.action for e in audit_trail().events(tenant_id, paying.invoice_id)]
    html = _page(local_env, paying.page_token)
    assert 'data-status="paid"' not in html and 'data-testid="amount-due"' in html
    # ... and Autogiro does not debit it again: the customer pays it by hand (the reminder flow follows)
    later = _export(tenant_id, date(2026, 12, 11))
    assert paying.invoice_id not in dict(later["announced"]) and not later["debits"]
    # And the same refund report again changes nothing
    assert _import(bucket, tenant_id, "UAGAG.K0471117.D261210.again", refund)["already_imported"] is True
    assert invoice_ledger().get(tenant_id, paying.invoice_id).amount_due == paying.amount_due


def test_a_rejected_mandate_shows_bankgirots_reason_and_the_form_again(issued):
    local_env, tenant_id, (invoice, _) = issued
    bucket = local_env.env["PAGES_BUCKET"]
    base = local_env.server.url
    mandates, _ = autogiro_store()
    # Given a mandate sent to Bankgirot
    _post(f"{base}/v1/pages/{invoice.page_token}/autogiro", GOOD)
    _export(tenant_id, date(2026, 11, 23))
    payer = mandates.get(tenant_id, invoice.customer_id).payer_number
    # When the bank answers that account and personnummer do not match (42/05)
    imported = _import(bucket, tenant_id, "UAGU4.reject", mandate_notification([(payer, "42", "05")], TODAY))
    # Then the mandate is rejected with the reason; the invoice page and the form say it
    assert imported["mandates"] == {"rejected": 1}
    mandate = mandates.get(tenant_id, invoice.customer_id)
    assert mandate.status is MandateStatus.REJECTED and mandate.reason.code == "42/05"
    assert mandate.identity is None  # not kept once it failed
    html = _page(local_env, invoice.page_token)
    # (the page words Bankgirot's reason through the catalogs: 42/05 in Swedish or English)
    assert "Kontonumret eller personnumret stämmer inte" in html or mandate.reason.message in html
    status, _, form = fetch(f"{base}/v1/pages/{invoice.page_token}/autogiro")
    assert status == 200 and 'data-status="rejected"' in form and 'name="personnummer"' in form


def demo_email(tenant_id: str, customer_id: str) -> str:
    from billing.adapters.dynamo.models import CustomerModel

    return str(CustomerModel.get(tenant_id, customer_id).email)


def test_billing_autogiro_export_writes_the_file_for_a_date(issued, tmp_path, capsys):
    local_env, tenant_id, (invoice, _) = issued
    # Given a mandate given on the page
    _post(f"{local_env.server.url}/v1/pages/{invoice.page_token}/autogiro", GOOD)
    out = tmp_path / "request.txt"
    # When the operator writes the file for a day
    code = cli_main(["autogiro", "export", "--date", "2026-11-24", "--tenant", tenant_id, "--out", str(out)])
    # Then it prints where the file went and what is in it, and the saved copy is that file
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["mandates"] == 1 and printed["key"].startswith(f"autogiro/outbox/{tenant_id}/")
    (record,) = _records(parse_file(out.read_bytes()))
    assert isinstance(record, CreateMandate)
    # When it is run again the same day, Then nothing is left to send
    assert cli_main(["autogiro", "export", "--date", "2026-11-24", "--tenant", tenant_id]) == 0
    assert json.loads(capsys.readouterr().out)["key"] is None
    # When the operator cancels the mandate, Then the next day's file cancels it at Bankgirot (TK03)
    assert cli_main(["autogiro", "cancel", "--tenant", tenant_id, "--customer", invoice.customer_id]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "cancel_pending"
    assert (
        cli_main(["autogiro", "export", "--date", "2026-11-25", "--tenant", tenant_id, "--out", str(out)])
        == 0
    )
    (record,) = _records(parse_file(out.read_bytes()))
    assert isinstance(record, CancelMandate)


def test_the_next_invoice_tells_the_debit_date_in_its_first_email(issued, scenario_clock):
    local_env, tenant_id, (paying, by_hand) = issued
    bucket = local_env.env["PAGES_BUCKET"]
    mandates, _ = autogiro_store()
    # Given one customer's mandate, approved by Bankgirot in November
    _post(f"{local_env.server.url}/v1/pages/{paying.page_token}/autogiro", GOOD)
    _export(tenant_id, date(2026, 11, 23))
    payer = mandates.get(tenant_id, paying.customer_id).payer_number
    _import(bucket, tenant_id, "UAGU4.approve", mandate_notification([(payer, "04", "32")], TODAY))
    # When December's run issues the next invoices
    scenario_clock(date(2026, 12, 1))
    run_billing(tenant_id, date(2026, 12, 1))
    december = {
        i.customer_id: invoice_ledger().get(tenant_id, i.invoice_id)
        for i in invoices_of(tenant_id)
        if i.period_start == "2026-12-01"
    }
    mine = december[paying.customer_id]
    # Then the invoice carries its debit date, told today: on the due date (a banking day, past the
    # notice period), and the customer's one December email says it
    told = mine.state["autogiro"]
    debit = date.fromisoformat(told["debit_date"])
    assert told["notified_on"] == "2026-12-01" and told["payer_number"] == payer and told["active"] is True
    assert debit == next_banking_day(mine.invoice.due_date)
    assert banking_days_between(date(2026, 12, 1), debit) >= 8
    customer_email = demo_email(tenant_id, paying.customer_id)
    subjects = [str(m["subject"]) for m in emails_to(local_env.moto_url, customer_email)]
    (subject,) = [s for s in subjects if "december" in s.lower()]
    assert "dras automatiskt" in subject and f"{debit.day} " in subject, subject
    assert "autogiro_debit_announced" in [e.action for e in audit_trail().events(tenant_id, mine.invoice_id)]
    html = _page(local_env, mine.page_token)
    assert 'data-status="debit_scheduled"' in html and f"/v1/pages/{mine.page_token}/autogiro" not in html
    # And the customer without a mandate got an ordinary invoice
    assert "autogiro" not in december[by_hand.customer_id].state
    # When the next file is written, Then December's debit date is not told again (no second email)...
    told_again = _export(tenant_id, date(2026, 12, 2))
    assert mine.invoice_id not in dict(told_again["announced"])
    after = [str(m["subject"]) for m in emails_to(local_env.moto_url, customer_email)]
    assert len([s for s in after if "december" in s.lower()]) == 1
    # ... and once the date is within the lookahead, the file orders it on that day
    three_banking_days_before = debit
    for _ in range(3):
        three_banking_days_before = previous_banking_day(three_banking_days_before)
    ordered = _export(tenant_id, three_banking_days_before)
    orders = [
        r
        for r in _records(_request_file(bucket, ordered["key"]))
        if isinstance(r, PaymentOrder) and r.reference == mine.invoice.ocr
    ]
    assert [(o.payment_date, o.amount_ore) for o in orders] == [(debit, mine.amount_due)]
