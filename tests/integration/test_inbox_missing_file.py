"""A bank file gone before its importer reads it (deleted, or an event delivered again after a clean-up)
is refused naming its key, as it would be on AWS, where the importers may not list the bucket and so
hear AccessDenied for a missing key (infra/local_iam.py plays S3's answer)."""

from __future__ import annotations

import pytest

from infra.local_lambda import invoke, s3_object_created_event

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("function", "key"),
    [
        ("BgMaxImportFunction", "bgmax/inbox/{tenant}/gone.txt"),
        ("AutogiroImportFunction", "autogiro/inbox/{tenant}/gone.txt"),
    ],
)
def test_a_file_gone_before_its_import_is_refused_naming_its_key(local_env, tenant_id, function, key) -> None:
    # Given a tenant with a bankgiro and an Autogiro agreement, so the file is what stops the import
    from billing.adapters.dynamo.stores import DynamoTenantDirectory
    from billing.wiring.core import bind_tables
    from infra import demo_data

    bind_tables()
    page = {**demo_data.PAGE_SETTINGS, "autogiro": {"customer_number": "471117"}}
    DynamoTenantDirectory.put(tenant_id, demo_data.tenant_settings(tenant_id), demo_data.CATALOG, page)
    key = key.format(tenant=tenant_id)
    event = s3_object_created_event(local_env.stack.function_env["PAGES_BUCKET"], key)
    (result,) = invoke(function, event)["files"]
    assert result["field"] == "key" and result["error"].startswith(f"no file {key}")
    # S3's AccessDenied, as the importer hears it on AWS (it may not list the bucket)
    assert "that this function may read" in result["error"]
