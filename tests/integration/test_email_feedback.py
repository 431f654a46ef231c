"""Delivery that notices failure, on the local stack: SES's bounce and complaint notifications, in the
JSON shape SES publishes and wrapped the way SNS delivers them, drive EmailFeedbackFunction; the
invoice's or reminder's email is marked undelivered once, the merchant sees it in `billing report
deliveries` and the engagement report, and dunning does not count an undelivered reminder as sent."""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from billing.adapters.dynamo.models import EngagementModel, InvoiceModel
from billing.cli import main as billing_cli
from infra.local_lambda import invoke
from tests.integration.dunning_support import issue, run_dunning

pytestmark = pytest.mark.integration


def _message_ids(tenant_id: str, kind: str) -> list[str]:
    # A test may scan its own small table; the code only ever reads a message id's item. An invoice's
    # own email is remembered on the invoice (its message_index), not by an item of its own.
    if kind == "invoice":
        return [i.email_message_id for i in InvoiceModel.query(tenant_id) if i.email_message_id]
    return [
        item.pk.removeprefix("msg#")
        for item in EngagementModel.scan(EngagementModel.tenant_id == tenant_id)
        if item.pk.startswith("msg#") and item.kind == kind
    ]


def ses_bounce(
    message_id: str, *, bounce_type: str = "Permanent", at: datetime | None = None
) -> dict[str, Any]:
    """A bounce notification as SES publishes it to SNS (identity notifications, docs.aws.amazon.com
    ses/latest/dg/notification-contents.html)."""
    when = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "notificationType": "Bounce",
        "bounce": {
            "feedbackId": "0100017e-bounce-feedback",
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": "nobody@example.se",
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
            "timestamp": when,
            "remoteMtaIp": "127.0.2.0",
            "reportingMTA": "dsn; a27-23.smtp-out.eu-north-1.amazonses.com",
        },
        "mail": {
            "timestamp": when,
            "source": "faktura@example.se",
            "sourceArn": "arn:aws:ses:eu-north-1:123456789012:identity/faktura@example.se",
            "sourceIp": "127.0.3.0",
            "sendingAccountId": "123456789012",
            "messageId": message_id,
            "destination": ["nobody@example.se"],
        },
    }


def ses_complaint(message_id: str) -> dict[str, Any]:
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "eventType": "Complaint",  # the configuration set's event shape
        "complaint": {
            "feedbackId": "0100017e-complaint",
            "complainedRecipients": [{"emailAddress": "nobody@example.se"}],
            "timestamp": when,
            "complaintFeedbackType": "abuse",
        },
        "mail": {
            "timestamp": when,
            "source": "faktura@example.se",
            "messageId": message_id,
            "destination": ["nobody@example.se"],
        },
    }


def sns_event(*notifications: Any) -> dict[str, Any]:
    """What Lambda gets from an SNS subscription: one record per notification, `Message` as text."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:eu-north-1:123456789012:EmailFeedbackTopic:1",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": str(uuid.uuid4()),
                    "TopicArn": "arn:aws:sns:eu-north-1:123456789012:EmailFeedbackTopic",
                    "Message": n if isinstance(n, str) else json.dumps(n),
                    "Timestamp": datetime.now(UTC).isoformat(),
                    "SignatureVersion": "1",
                },
            }
            for n in notifications
        ]
    }


def _cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert billing_cli(list(args)) == 0
    return out.getvalue()


def test_a_bounced_invoice_email_is_marked_once_and_the_merchant_is_told(local_env):
    # Given an issued invoice whose email went out, remembered by SES's message id
    issued = issue(local_env)
    (message_id,) = _message_ids(issued.tenant_id, "invoice")
    # When SES reports it bounced, and SNS delivers that twice
    first = invoke("EmailFeedbackFunction", sns_event(ses_bounce(message_id)))
    again = invoke("EmailFeedbackFunction", sns_event(ses_bounce(message_id)))
    # Then the invoice says its email did not arrive, once
    assert first["outcomes"] == ["undelivered"] and again["outcomes"] == ["already_recorded"]
    delivery = issued.stored.state["delivery"]
    assert delivery["status"] == "undelivered" and delivery["reason"] == "Permanent/General"
    assert issued.actions().count("email_undelivered") >= 1
    # And the merchant sees it in the deliveries report and in the month's engagement rows
    report = _cli("report", "deliveries", "--tenant", issued.tenant_id)
    assert "Undelivered emails" in report and ": 1" in report
    assert issued.stored.invoice.number in report and "Permanent/General" in report
    engagement = _cli("report", "engagement", "--tenant", issued.tenant_id, "--months", "1")
    (row,) = [line for line in engagement.splitlines() if line.startswith("emails undelivered")]
    assert row.split()[-1] == "1"


def test_notifications_that_are_not_ours_or_not_ses_change_nothing(local_env):
    issued = issue(local_env)
    delivery = {"notificationType": "Delivery", "mail": {"messageId": "x"}, "delivery": {}}
    result = invoke(
        "EmailFeedbackFunction",
        sns_event(ses_bounce("0100-not-one-of-ours"), delivery, "not json", {"notificationType": "Bounce"}),
    )
    assert result["outcomes"] == ["unknown_message", "not_feedback", "refused", "refused"]
    assert "delivery" not in issued.stored.state


def test_an_undelivered_reminder_is_not_counted_and_no_further_reminder_follows(local_env):
    # Given an overdue invoice whose first reminder went out
    issued = issue(local_env)
    due = issued.due
    assert run_dunning(issued.tenant_id, due + timedelta(days=5))["reminders_sent"] == 1
    (message_id,) = _message_ids(issued.tenant_id, "reminder")
    (reminder,) = issued.reminders()
    assert reminder["message_id"] == message_id
    # When the customer's mail server refuses it (a complaint marks it the same way)
    assert invoke("EmailFeedbackFunction", sns_event(ses_complaint(message_id)))["outcomes"] == [
        "undelivered"
    ]
    # Then the reminder is marked undelivered, and the day of the second step sends nothing: the
    # first never arrived, so no fee or escalation may rest on it, and another email would bounce too
    assert issued.reminders()[0]["undelivered"]["reason"] == "complaint/abuse"
    sent_before = len(issued.emails())
    result = run_dunning(issued.tenant_id, due + timedelta(days=20))
    assert result["reminders_sent"] == 0
    assert len(issued.emails()) == sent_before
    assert len(issued.reminders()) == 1
