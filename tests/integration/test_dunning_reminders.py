"""The daily dunning job on the local stack: who is reminded, when, with which fee and interest, and
how often (once per step, however often the job runs)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from billing.adapters.dynamo.models import InvoiceModel
from billing.cli import main as billing_cli
from billing.domain.dunning import late_payment_interest
from billing.services.dunning import ExportForCollection
from billing.wiring.core import (
    audit_trail,
    customer_directory,
    dunning_store,
    invoice_ledger,
    send_reminders,
    tenant_directory,
)
from tests.integration.dunning_support import STOCKHOLM, TODAY, issue, patched_rates, pay, run_dunning
from tests.integration.helpers import fetch

pytestmark = pytest.mark.integration


def test_a_paid_invoice_never_gets_a_reminder(local_env):
    # Given an invoice paid in full before its due date
    issued = issue(local_env, fee_agreed=True)
    pay(issued.tenant_id, issued.invoice_id, issued.stored.amount_due)
    emails_before = len(issued.emails())
    # When the daily job runs on every reminder day and long after
    for days in (1, 5, 20, 60):
        result = run_dunning(issued.tenant_id, issued.due + timedelta(days=days))
        # Then the paid invoice is not even walked (it left the open index) and nothing is sent
        assert result["checked"] == 0 and result["reminders_sent"] == 0
    assert len(issued.emails()) == emails_before
    assert issued.reminders() == [] and "reminder_sent" not in issued.actions()


@pytest.fixture
def stack_rates(local_env):
    with patched_rates() as rates:
        yield rates


def test_a_friendly_reminder_without_fee_then_a_clearer_one_with_the_agreed_fee_and_exact_interest(
    local_env, stack_rates
):
    # Given an open invoice whose customer agreed to reminder fees when the contract was made
    issued = issue(local_env, fee_agreed=True)
    rates = stack_rates
    due, amount = issued.due, issued.stored.amount_due
    sent_before = len(issued.emails())
    # When the job runs on the due date and 4 days after it: nothing yet (no fee, no reminder before)
    assert run_dunning(issued.tenant_id, due)["reminders_sent"] == 0
    assert run_dunning(issued.tenant_id, due + timedelta(days=4))["reminders_sent"] == 0
    # And 5 days after: the friendly reminder, without a fee
    assert run_dunning(issued.tenant_id, due + timedelta(days=5))["reminders_sent"] == 1
    (first,) = issued.reminders()
    assert first["step"] == 1 and first["fee_minor"] == 0 and first["status"] == "sent"
    assert "dunning.reminder.fee" not in first["body_keys"]
    emails = issued.emails()[sent_before:]
    assert len(emails) == 1 and issued.stored.invoice.number in emails[0]["subject"]
    assert "Påminnelseavgift" not in emails[0]["body"]
    # And 20 days after: the second, with the agreed fee capped at 60 kr and interest to the day
    assert run_dunning(issued.tenant_id, due + timedelta(days=20))["reminders_sent"] == 1
    second = issued.reminders()[1]
    assert second["step"] == 2 and second["fee_minor"] == 6000
    expected = late_payment_interest(amount, due, due + timedelta(days=20), rates).amount_minor
    assert expected > 0 and second["interest_minor"] == expected
    body = issued.emails()[sent_before + 1]["body"].replace("\xa0", " ")
    assert "Påminnelseavgift enligt avtalet: 60 kr" in body
    assert "Dröjsmålsränta enligt räntelagen" in body
    # And the re-rendered page says what the email said
    _, _, html = fetch(f"{issued.base_url}/i/{issued.stored.page_token}")
    html = html.replace("\xa0", " ").replace("&nbsp;", " ")
    assert 'id="block-reminder"' in html and "Påminnelseavgift enligt avtalet: 60 kr" in html
    assert issued.actions().count("reminder_sent") == 2


def test_no_fee_without_the_customers_agreement(local_env, stack_rates):
    # Given an overdue invoice whose contract has no agreement to reminder fees
    issued = issue(local_env, fee_agreed=False)
    # When both reminders go out
    run_dunning(issued.tenant_id, issued.due + timedelta(days=5))
    run_dunning(issued.tenant_id, issued.due + timedelta(days=20))
    # Then neither carries a fee, though the second still states the interest
    first, second = issued.reminders()
    assert first["fee_minor"] == 0 and second["fee_minor"] == 0
    assert "dunning.reminder.fee" not in second["body_keys"] and second["interest_minor"] > 0


def test_running_the_daily_job_twice_the_same_day_sends_one_email(local_env):
    # Given an invoice on its first reminder day
    issued = issue(local_env)
    day = issued.due + timedelta(days=5)
    before = len(issued.emails())
    # When the scheduler delivers the run twice (a retry) the same day
    first = run_dunning(issued.tenant_id, day)
    second = run_dunning(issued.tenant_id, day)
    # Then one reminder is recorded, emailed and audited
    assert first["reminders_sent"] == 1 and second["reminders_sent"] == 0
    assert len(issued.emails()) == before + 1
    assert len(issued.reminders()) == 1 and issued.actions().count("reminder_sent") == 1


def test_an_open_question_pauses_reminders_and_the_answer_resumes_them(local_env):
    # Given an overdue invoice whose customer asks a question on the page
    issued = issue(local_env)
    asked_at = f"{issued.due.isoformat()}T10:00:00+00:00"
    question = {"question_id": "q1", "asked_at": asked_at, "text": "Why?", "line_id": None}
    assert invoice_ledger().add_question(issued.tenant_id, issued.invoice_id, question)
    # When the job runs on the first reminder day
    result = run_dunning(issued.tenant_id, issued.due + timedelta(days=5))
    # Then nothing is sent and the pause is on the audit trail once
    assert result["reminders_sent"] == 0 and issued.reminders() == []
    run_dunning(issued.tenant_id, issued.due + timedelta(days=6))
    assert issued.actions().count("reminders_paused") == 1
    # When the operator answers it
    before = len(issued.emails())
    code = billing_cli(
        ["question", "answer", "--tenant", issued.tenant_id, "--invoice", issued.invoice_id,
         "--question", "q1", "--text", "Because of roaming.", "--operator", "anna"]
    )  # fmt: skip
    # Then the customer gets the answer, the page shows it, and the next run reminds again
    assert code == 0 and not issued.stored.question_open
    assert "Because of roaming." in issued.emails()[before]["body"]
    _, _, html = fetch(f"{issued.base_url}/i/{issued.stored.page_token}")
    assert "Because of roaming." in html
    result = run_dunning(issued.tenant_id, issued.due + timedelta(days=7))
    assert result["reminders_sent"] == 1
    actions = issued.actions()
    assert "question_answered" in actions and "reminders_resumed" in actions


def test_a_failed_mandate_charge_is_retried_on_schedule_before_any_reminder(local_env):
    # Given an invoice paid by mandate whose charge on the due date failed
    issued = issue(local_env)
    due = issued.due

    def record_attempts(*outcomes: str) -> None:
        attempts = [
            {"attempt": i + 1, "on": (due + timedelta(days=d)).isoformat(), "outcome": o}
            for i, (d, o) in enumerate(zip((0, 3, 7), outcomes, strict=False))
        ]
        item = InvoiceModel.get(issued.tenant_id, issued.invoice_id, consistent_read=True)
        state = dict(item.state or {})
        state["autopay"] = {"active": True, "attempts": attempts}
        item.update(actions=[InvoiceModel.state.set(state), InvoiceModel.version.add(1)])

    record_attempts("failed")
    # When the job runs: before the first retry day nothing; on day 3 retry 2 is requested
    assert run_dunning(issued.tenant_id, due + timedelta(days=2))["retries_requested"] == 0
    assert run_dunning(issued.tenant_id, due + timedelta(days=3))["retries_requested"] == 1
    retries = issued.stored.state["dunning"]["retries"]
    assert retries[0]["attempt"] == 2 and retries[0]["idempotency_key"] == f"{issued.invoice_id}:charge:2"
    # And while that retry is pending, the first reminder day passes without a reminder
    assert run_dunning(issued.tenant_id, due + timedelta(days=5))["reminders_sent"] == 0
    # When retry 2 failed too, retry 3 goes on day 7, still without a reminder
    record_attempts("failed", "failed")
    result = run_dunning(issued.tenant_id, due + timedelta(days=7))
    assert result["retries_requested"] == 1 and result["reminders_sent"] == 0
    # When every retry failed, reminders start
    record_attempts("failed", "failed", "failed")
    assert run_dunning(issued.tenant_id, due + timedelta(days=8))["reminders_sent"] == 1
    assert issued.actions().count("mandate_retry_requested") == 2


class _FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def test_the_collection_export_is_an_operators_explicit_action(local_env, stack_rates, tmp_path):
    # Given an invoice reminded once (the daily job never exports anything by itself)
    issued = issue(local_env, fee_agreed=True)
    run_dunning(issued.tenant_id, issued.due + timedelta(days=5))
    assert "exported_for_collection" not in issued.actions()
    # When the operator tries today, before the invoice is overdue on the real calendar
    out = tmp_path / "collection.csv"
    code = billing_cli(
        ["collection", "export", "--tenant", issued.tenant_id, "--invoice", issued.invoice_id,
         "--operator", "anna", "--out", str(out)]
    )  # fmt: skip
    # Then it is refused and nothing is written or audited
    if issued.due >= TODAY:
        assert code == 2 and not out.exists() and "exported_for_collection" not in issued.actions()
    # When the operator exports it 30 days after the due date
    export = ExportForCollection(
        tenants=tenant_directory(),
        customers=customer_directory(),
        invoices=invoice_ledger(),
        store=dunning_store(),
        audit=audit_trail(),
        rates=stack_rates,
        clock=_FixedClock(datetime.combine(issued.due + timedelta(days=30), time(10), STOCKHOLM)),
    )
    lines = export(issued.tenant_id, [issued.invoice_id], "anna").splitlines()
    # Then the CSV holds the invoice with its reminder and interest, and the audit trail names anna
    header, row = lines[0].split(","), dict(zip(lines[0].split(","), lines[1].split(","), strict=True))
    assert header[0] == "invoice_id" and row["invoice_id"] == issued.invoice_id
    assert row["reminders_sent"] == "1" and int(row["interest_minor"]) > 0
    exported = [
        e
        for e in audit_trail().events(issued.tenant_id, issued.invoice_id)
        if e.action == "exported_for_collection"
    ]
    assert len(exported) == 1 and exported[0].actor == "operator" and exported[0].actor_id == "anna"


def test_without_a_reference_rate_on_file_the_reminder_claims_no_interest(local_env):
    # Given the real data file, which ends before the invoice's late days begin (operators append
    # each half-year's rate; until then no interest is claimed rather than a rate guessed)
    issued = issue(local_env, fee_agreed=True)
    day = issued.due + timedelta(days=5)
    if send_reminders().rates.covers(day):
        pytest.skip("the reference-rate file already covers this half-year")
    # When the first reminder goes out
    assert run_dunning(issued.tenant_id, day)["reminders_sent"] == 1
    # Then it states no interest, and the audit trail says why
    (reminder,) = issued.reminders()
    assert reminder["interest_minor"] is None and "dunning.reminder.interest" not in reminder["body_keys"]
    sent = next(
        e for e in audit_trail().events(issued.tenant_id, issued.invoice_id) if e.action == "reminder_sent"
    )
    assert "interest_unavailable" in sent.details


def test_a_customer_late_before_gets_clearer_words_than_the_step_and_the_page_says_the_same(local_env):
    # Given a customer whose two previous invoices are still unpaid past their due dates
    issued = issue(local_env, months_before=2)
    # When this invoice's first reminder goes out (the policy's step is "friendly")
    run_dunning(issued.tenant_id, issued.due + timedelta(days=5))
    # Then it is worded one rung clearer, and the page shows the same opening as the email
    (reminder,) = issued.reminders()
    assert reminder["tone"] == "clear" and reminder["subject_key"] == "dunning.reminder.subject.clear"
    number = issued.stored.invoice.number
    (email,) = [m for m in issued.emails() if number in m["subject"] and "obetald" in m["subject"]]
    opening = "och är fortfarande obetald. Vi ber dig betala den nu, eller höra av dig om något hindrar dig."
    assert opening in email["body"] and opening in fetch(f"{issued.base_url}/i/{issued.stored.page_token}")[2]


def test_interest_is_exact_to_the_day_across_a_change_of_reference_rate(local_env, stack_rates):
    # Given a policy whose only reminder falls 10 days into the next half-year after the due date
    probe = issue(local_env)
    due = probe.due
    # Interest runs from the day after the due date: the next half-year must start after that day
    # (an invoice due on 31 December would otherwise see only January's rate).
    first = due + timedelta(days=1)
    next_half = date(first.year + (first.month > 6), 7 if first.month <= 6 else 1, 1)
    days = (next_half - due).days + 10
    policy = {"steps": [{"days_after_due": days, "fee": False, "tone": "friendly"}]}
    issued = issue(local_env, policy)
    # When the reminder goes out
    assert run_dunning(issued.tenant_id, issued.due + timedelta(days=days))["reminders_sent"] == 1
    # Then its interest is the day-by-day sum over both half-years' rates, rounded once
    (reminder,) = issued.reminders()
    owed = late_payment_interest(
        issued.stored.amount_due, issued.due, issued.due + timedelta(days=days), stack_rates
    )
    assert (
        len(owed.segments) == 2
        and owed.segments[0].annual_rate_percent != owed.segments[1].annual_rate_percent
    )
    assert reminder["interest_minor"] == owed.amount_minor > 0
