"""The outbox stream's records as DriveOutboxFunction reads them: an inserted event names its stream;
the driver's own updates (done-marks) and removals are not new work."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from billing.handlers.drive_outbox import stream_of


def _record(name: str, key: str = "t1#invoice#inv-1") -> DynamoDBRecord:
    return DynamoDBRecord(
        {
            "eventName": name,
            "dynamodb": {"Keys": {"stream_key": {"S": key}, "seq": {"N": "2"}}, "SequenceNumber": "1"},
        }
    )


def test_an_inserted_event_names_its_tenant_and_stream() -> None:
    assert stream_of(_record("INSERT")) == ("t1", "invoice#inv-1")


def test_updates_removals_and_foreign_keys_are_not_work() -> None:
    assert stream_of(_record("MODIFY")) is None
    assert stream_of(_record("REMOVE")) is None
    assert stream_of(_record("INSERT", key="no-separator")) is None
