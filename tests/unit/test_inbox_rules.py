"""A bank file put into the bucket reaches the function template.yaml's EventBridge rules send it to
(infra.local_lambda.functions_for_event): the local inbox delivers through those rules, so a rule whose
pattern stopped matching the keys the importers expect fails the flows' tests."""

from __future__ import annotations

import pytest

from infra.local_lambda import functions_for_event, s3_object_created_event


@pytest.fixture(autouse=True)
def _bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGES_BUCKET", "billing-pages")


@pytest.mark.parametrize(
    ("key", "functions"),
    [
        ("autogiro/inbox/t1/BFEP.UAGZZ.K0471117.txt", ["AutogiroImportFunction"]),
        ("bgmax/inbox/t1/BGMAX 2026-12-05.txt", ["BgMaxImportFunction"]),
        ("autogiro/outbox/t1/request.txt", []),  # our own request files start nothing
        ("i/abcdef/index.html", []),
    ],
)
def test_each_inbox_has_its_importer_and_nothing_else_starts_one(key: str, functions: list[str]) -> None:
    assert functions_for_event(s3_object_created_event("billing-pages", key)) == functions


def test_another_bucket_or_event_starts_nothing() -> None:
    other = s3_object_created_event("someone-elses-bucket", "bgmax/inbox/t1/file.txt")
    assert functions_for_event(other) == []
    deleted = s3_object_created_event("billing-pages", "bgmax/inbox/t1/file.txt")
    deleted["detail-type"] = "Object Deleted"
    assert functions_for_event(deleted) == []
