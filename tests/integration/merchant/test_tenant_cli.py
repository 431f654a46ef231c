"""`billing tenant create|update FILE.yaml` on the local stack: a merchant onboarded without DynamoDB
by hand can get a key and use the API at once; a bad file writes nothing."""

from __future__ import annotations

import contextlib
import io

import pytest
import yaml

from billing.adapters.dynamo.models import TenantModel
from billing.cli import main as billing_cli
from tests.integration.merchant.support import call, create_key, customer_body
from tests.unit.tenants.test_tenant_document import tenant_file

pytestmark = pytest.mark.integration


def _cli(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = billing_cli(list(argv))
    return code, err.getvalue()


def test_a_tenant_is_onboarded_from_yaml_and_updated(local_env, tenant_id, tmp_path):
    data = tenant_file() | {"tenant_id": tenant_id}
    path = tmp_path / "tenant.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert _cli("tenant", "update", str(path))[0] == 2  # no such tenant yet: update creates nothing
    code, err = _cli("tenant", "create", str(path))
    assert code == 0, err
    assert _cli("tenant", "create", str(path)) == (
        2,
        f"error: tenant_id: tenant {tenant_id!r} exists: use `billing tenant update`\n",
    )
    # The new merchant uses the API at once
    key = create_key(tenant_id, "full")
    url = local_env.server.url
    assert call(url, "POST", "/v1/customers", key, customer_body(1), idempotency_key="k").status == 201
    started = call(
        url, "POST", "/v1/customers/c-0001/subscription", key, {"plan": "max"}, idempotency_key="s"
    )
    assert started.status == 201, started.body
    # An update with a mistake names the field and changes nothing; a good one replaces the documents
    data["settings"]["bankgiro"] = "5050-1056"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    code, err = _cli("tenant", "update", str(path))
    assert code == 2 and err.startswith("error: settings.bankgiro:")
    data["settings"]["bankgiro"] = "5050-1055"
    data["settings"]["payment_terms_days"] = 20
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert _cli("tenant", "update", str(path))[0] == 0
    assert TenantModel.get(tenant_id).settings["payment_terms_days"] == 20
    # A new tenant has no Stripe id stored before StripeRefsTable: it is marked indexed at creation,
    # and an update keeps what the tenant had (an older tenant stays unmarked until index-refs)
    assert TenantModel.get(tenant_id).stripe_ids_indexed is True
    TenantModel(tenant_id).update(actions=[TenantModel.stripe_ids_indexed.remove()])
    assert _cli("tenant", "update", str(path))[0] == 0
    assert TenantModel.get(tenant_id).stripe_ids_indexed is None
    path.write_text("tenant_id: [unclosed")
    code, err = _cli("tenant", "create", str(path))
    assert code == 2 and err.startswith("error: (file):")
