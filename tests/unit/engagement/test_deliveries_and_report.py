"""SES feedback, the usage file's cells and the monthly engagement rows, with in-memory ports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest

from billing.domain.email_feedback import FeedbackError, parse_feedback
from billing.domain.periods import months_available
from billing.services.customer_data.usage_export import _cell, parse_month
from billing.services.deliveries.ports import SentEmail, UndeliveredEmail
from billing.services.deliveries.record_feedback import RecordEmailFeedback
from billing.services.engagement_report import CountsSource, MonthlyRow, PriceChangeSource, monthly_table
from billing.services.errors import PermanentError
from billing.services.price_changes.ports import Notice, ScheduledChange
from tests.integration.test_email_feedback import ses_bounce, ses_complaint


@dataclass
class FakeLog:
    known: dict[str, SentEmail] = field(default_factory=dict)
    recorded: dict[str, UndeliveredEmail] = field(default_factory=dict)

    def sent(self, email: SentEmail, at: datetime) -> None:
        self.known[email.message_id] = email

    def lookup(self, message_id: str) -> SentEmail | None:
        return self.known.get(message_id)

    def record_undelivered(self, email: UndeliveredEmail) -> bool:
        if email.message_id in self.recorded:
            return False
        self.recorded[email.message_id] = email
        return True

    def undelivered(self, tenant_id: str, since: datetime, until: datetime) -> Iterator[UndeliveredEmail]:
        return iter(self.recorded.values())


@dataclass
class FakeInvoices:
    marked: list[str] = field(default_factory=list)
    fail: bool = False

    def mark_undelivered(self, email: UndeliveredEmail) -> bool:
        if self.fail:
            raise RuntimeError("the database is down")
        self.marked.append(email.message_id)
        return True


@dataclass
class FakeCounts:
    values: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, tenant_id: str, month: str, name: str, value: int = 1) -> None:
        self.values[(month, name)] = self.values.get((month, name), 0) + value

    def month_counts(self, tenant_id: str, first: str, last: str) -> dict[tuple[str, str], int]:
        return {k: v for k, v in self.values.items() if first <= k[0] <= last}


@dataclass
class FakeEvents:
    seen: list[str] = field(default_factory=list)

    def undelivered(self, email: UndeliveredEmail) -> None:
        self.seen.append(email.message_id)


def test_ses_bounces_and_complaints_are_read_from_their_real_shape():
    bounce = parse_feedback(json.dumps(ses_bounce("0100-abc", bounce_type="Transient")))
    assert bounce is not None and bounce.kind == "bounce" and bounce.reason == "Transient/General"
    assert bounce.at.tzinfo is not None and bounce.message_id == "0100-abc"
    complaint = parse_feedback(ses_complaint("0100-def"))
    assert complaint is not None and complaint.reason == "complaint/abuse"
    assert parse_feedback({"notificationType": "Delivery", "mail": {}}) is None
    for bad, field_name in (
        ("{", "Message"),
        ({"notificationType": "Bounce"}, "mail"),
        ({"notificationType": "Bounce", "mail": {"messageId": "a b"}}, "mail.messageId"),
        ({**ses_bounce("x"), "bounce": {"timestamp": "yesterday"}}, "bounce.timestamp"),
    ):
        with pytest.raises(FeedbackError) as err:
            parse_feedback(bad)
        assert err.value.field == field_name


def test_feedback_marks_once_and_a_failure_at_any_step_is_repaired_by_the_retry():
    log, invoices, counts, events = FakeLog(), FakeInvoices(fail=True), FakeCounts(), FakeEvents()
    log.sent(SentEmail("m1", "t1", "inv_1", "invoice"), datetime.now(UTC))
    record = RecordEmailFeedback(log=log, invoices=invoices, counts=counts, events=events)
    notification = json.dumps(ses_bounce("m1"))
    # When the invoice cannot be marked, nothing is recorded and SNS delivers again
    with pytest.raises(RuntimeError):
        record(notification)
    assert log.recorded == {} and counts.values == {}
    invoices.fail = False
    assert record(notification) == "undelivered"
    assert record(notification) == "already_recorded"
    assert record(json.dumps(ses_complaint("m1"))) == "already_recorded"  # one message, one record
    assert invoices.marked == ["m1", "m1", "m1"] and list(counts.values.values()) == [1]
    assert record(json.dumps(ses_bounce("m-unknown"))) == "unknown_message"


def test_usage_file_cells_cannot_run_as_formulas_and_months_are_bounded():
    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _cell("@x") == "'@x" and _cell("ok") == "ok"
    assert _cell({"b": 1, "a": "x"}) == '{"a": "x", "b": 1}'
    from datetime import date

    assert months_available(date(2026, 10, 15), date(2026, 12, 4)) == [
        date(2026, 12, 1),
        date(2026, 11, 1),
        date(2026, 10, 1),
    ]
    assert parse_month(None, date(2026, 12, 4)) == date(2026, 12, 1)
    for bad in ("2026-13", "26-01", "2026-1", "x"):
        with pytest.raises(PermanentError) as err:
            parse_month(bad, date(2026, 12, 4))
        assert err.value.field == "month"


class OtherSource:
    """What another helper's source looks like: rows of its own."""

    def rows(self, tenant_id: str, first: str, last: str) -> list[MonthlyRow]:
        return [MonthlyRow("2026-11", "price-change notices", 4)]


def test_the_monthly_table_has_a_row_per_count_and_takes_rows_from_any_source():
    counts = FakeCounts({("2026-11", "alerts_fired"): 2, ("2026-12", "exits"): 1, ("2026-09", "exits"): 7})
    table = monthly_table("t1", "2026-11", "2026-12", [CountsSource(counts), OtherSource()])
    lines = {line.rsplit(None, 2)[0].strip(): line.split()[-2:] for line in table.splitlines()[1:]}
    assert lines["spend alerts fired"] == ["2", "0"]
    assert lines["exits (cancelled from the page)"] == ["0", "1"]
    assert lines["price-change notices"] == ["4", "0"]
    assert table.splitlines()[0].split()[-2:] == ["2026-11", "2026-12"]


@dataclass
class FakeNotices:
    scheduled: list[ScheduledChange]
    by_version: dict[str, list[Notice]]

    def changes(self, tenant_id: str) -> list[ScheduledChange]:
        return [c for c in self.scheduled if c.tenant_id == tenant_id]

    def notices(self, tenant_id: str, version: str) -> list[Notice]:
        return [n for n in self.by_version.get(version, []) if n.tenant_id == tenant_id]


def test_the_report_counts_price_change_notices_when_sent_and_choices_when_made():
    scheduled = datetime(2026, 11, 3, 9, tzinfo=UTC)
    change = ScheduledChange("t1", "bas", "bas@v2", date(2027, 1, 1), "Dyrare nät", 1, scheduled)

    def notice(customer: str, status: str, choice: str | None, chosen: datetime | None) -> Notice:
        return Notice(
            "t1", "bas@v2", customer, f"tok-{customer}", f"{customer}@example.se", "bas", "SEK", 12,
            100_00, 120_00, True, None, status=status, choice=choice, chosen_at=chosen,
        )  # fmt: skip

    dec = datetime(2026, 12, 2, 10, tzinfo=UTC)
    notices = FakeNotices(
        [change, ScheduledChange("t2", "bas", "bas@v2", date(2027, 1, 1), "x", 1, scheduled)],
        {
            "bas@v2": [
                notice("c1", "sent", "accept", dec),
                notice("c2", "sent", "leave", dec),
                notice("c3", "sent", None, None),
                notice("c4", "pending", None, None),  # not sent yet: not counted
            ]
        },
    )
    table = monthly_table("t1", "2026-11", "2026-12", [PriceChangeSource(notices)])
    lines = {line.rsplit(None, 2)[0].strip(): line.split()[-2:] for line in table.splitlines()[1:]}
    assert lines["price-change notices sent"] == ["3", "0"]
    assert lines["price changes accepted"] == ["0", "1"]
    assert lines["left on a notice"] == ["0", "1"]
    assert lines["switched plan on a notice"] == ["0", "0"]


def test_the_tenant_file_takes_a_spend_alert_default_and_refuses_one_that_is_no_amount():
    from billing.services.tenants.document import TenantFileError, check_tenant_document
    from tests.unit.tenants.test_tenant_document import tenant_file

    doc = tenant_file()
    doc["page"] = {**doc["page"], "spend_alerts": {"default": "500"}}
    assert check_tenant_document(doc).page["spend_alerts"] == {"default": "500"}
    doc["page"] = {**doc["page"], "spend_alerts": {"default": "lots"}}
    with pytest.raises(TenantFileError) as err:
        check_tenant_document(doc)
    assert err.value.field == "page.spend_alerts.default"
