"""The events of the scheduled and file-triggered functions (billing.handlers.events): the day a job
works for (the operator's date when given, else the Stockholm date of the schedule's instant), the keys
of an S3 "Object Created" event, and events that are not what the trigger sends, refused by field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from billing.handlers.events import BadEvent, RunInput, ScheduleInput, inbox_keys, read_event
from infra.local_lambda import s3_object_created_event


def schedule(**event: Any) -> ScheduleInput:
    return read_event(ScheduleInput, {"tenant_id": "t1", **event})


def test_the_stockholm_date_of_the_scheduled_instant_not_the_utc_one():
    # Given a schedule that fired at 00:30 Swedish summer time, still the day before in UTC
    event = schedule(scheduled_time="2026-03-31T22:30:00Z", execution_id="x")
    # When the day is read, Then it is Stockholm's
    assert event.day("run_date") == date(2026, 4, 1)


def test_an_offset_instant_is_read_as_well_as_z():
    assert schedule(scheduled_time="2026-01-15T07:00:00+01:00").day("today") == date(2026, 1, 15)


def test_the_operators_date_wins_over_the_schedule():
    # Given an operator re-running a given day
    event = schedule(scheduled_time="2026-03-31T22:30:00Z", collect_date="2026-02-28")
    # Then that day is the one worked for, and another key's date is ignored
    assert event.day("collect_date") == date(2026, 2, 28)
    assert event.day("today") == date(2026, 4, 1)


def test_a_billing_run_may_name_its_customers():
    assert schedule(scheduled_time="2026-03-01T06:00:00Z", customer_ids=["c1", "c2"]).customer_ids == [
        "c1",
        "c2",
    ]
    assert schedule(scheduled_time="2026-03-01T06:00:00Z").customer_ids == []


@pytest.mark.parametrize(
    ("event", "key", "field"),
    [
        ({"today": "31/03/2026"}, "today", "today"),  # not ISO
        ({}, "today", "scheduled_time"),  # neither the schedule's instant nor the operator's day
        ({"scheduled_time": "2026-03-31T22:30:00"}, "today", "scheduled_time"),  # no offset: which day?
        ({"scheduled_time": "yesterday"}, "today", "scheduled_time"),
        ({"scheduled_time": "2026-03-31T22:30:00Z", "customer_ids": "c1"}, "run_date", "customer_ids"),
    ],
)
def test_a_schedule_that_is_not_one_is_refused_naming_its_field(event: dict[str, Any], key: str, field: str):
    with pytest.raises(BadEvent) as refused:
        schedule(**event).day(key)
    assert refused.value.field == field


@pytest.mark.parametrize("tenant_id", [None, "", "Norrsken AB", "../other", "x" * 41, 42])
def test_the_tenant_must_be_a_tenant_id(tenant_id: Any):
    with pytest.raises(BadEvent) as refused:
        read_event(ScheduleInput, {"tenant_id": tenant_id, "scheduled_time": "2026-03-01T06:00:00Z"})
    assert refused.value.field == "tenant_id"


def test_the_price_change_run_acts_at_the_operators_now_or_the_schedules_time():
    assert read_event(RunInput, {"scheduled_time": "2026-03-01T05:00:00Z"}).moment().isoformat() == (
        "2026-03-01T05:00:00+00:00"
    )
    both = {"scheduled_time": "2026-03-01T05:00:00Z", "now": "2026-04-01T05:00:00+02:00"}
    assert read_event(RunInput, both).moment().isoformat() == "2026-04-01T05:00:00+02:00"
    with pytest.raises(BadEvent):
        read_event(RunInput, {"now": "2026-04-01T05:00:00"}).moment()  # no offset
    with pytest.raises(BadEvent):
        read_event(RunInput, {}).moment()


def test_the_keys_of_an_eventbridge_object_created_event_are_as_stored():
    event = s3_object_created_event("pages", "autogiro/inbox/t1/a+b c.txt", 10)
    assert inbox_keys(event) == ["autogiro/inbox/t1/a+b c.txt"]


def test_a_classic_s3_notification_has_its_keys_url_decoded():
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "eu-north-1",
        "eventTime": "2026-03-01T06:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "A1"},
        "requestParameters": {"sourceIPAddress": "10.0.0.1"},
        "responseElements": {"x-amz-request-id": "R1", "x-amz-id-2": "I2"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "inbox",
            "bucket": {"name": "pages", "ownerIdentity": {"principalId": "A1"}, "arn": "arn:aws:s3:::pages"},
            "object": {"key": "bgmax/inbox/t1/BGMAX+2026.txt", "size": 10, "eTag": "e", "sequencer": "1"},
        },
    }
    assert inbox_keys({"Records": [record]}) == ["bgmax/inbox/t1/BGMAX 2026.txt"]


@pytest.mark.parametrize(
    "event",
    [
        {"detail": {"object": {}}},  # an EventBridge event without its envelope or key
        {"Records": [{"s3": {"object": {"key": "k"}}}]},  # not what S3 sends
        {"Records": "none"},
        [],
    ],
)
def test_an_event_that_is_not_object_created_is_refused(event: Any):
    with pytest.raises(BadEvent):
        inbox_keys(event)
