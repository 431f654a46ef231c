"""`make demo`'s merchant goes through the API, and its two customers who change their minds
mid-period get pages that show it: the upgrade's prorated plan-change invoice, the leaver's credit."""

from __future__ import annotations

import pytest

from billing.adapters.dynamo.models import CustomerModel, InvoiceModel
from infra import demo, demo_api, demo_data
from infra.local_run import run_billing

pytestmark = pytest.mark.integration


def test_the_demo_upgrade_and_cancellation_show_on_their_pages(local_env, tenant_id):
    from datetime import datetime

    today = datetime.now(demo_data.STOCKHOLM).date()
    current = demo_data.month_start(today)
    last = demo_data.add_months(current, -1)
    seeded = demo.seed(12, today, tenant_id, schedule_from=last)
    # Seeded through the API: every customer has the API's record fields beside its subscription
    items = list(CustomerModel.query(tenant_id))
    assert len(items) == 12 and all(i.created_at and i.subscription_version == 1 for i in items)
    run_billing(tenant_id, last)
    changes = demo_api.change_minds(seeded["api"], seeded["customers"], last)
    run_billing(tenant_id, current)
    (upgrader, upgraded), (leaver, _) = changes["upgraded mid-period"], changes["cancelled mid-period"]
    # The upgrade: its own invoice, numbered, the old plan's rest credited and the new plan's charged
    invoice = InvoiceModel.get(tenant_id, upgraded["invoice"]["id"])
    amounts = [line["amount"] for line in invoice.document["lines"]]
    assert invoice.document["kind"] == "plan_change" and invoice.number
    assert any(a < 0 for a in amounts) and any(a > 0 for a in amounts)
    page = local_env.client("s3").get_object(
        Bucket=local_env.env["PAGES_BUCKET"], Key=f"i/{invoice.page_token}"
    )
    assert invoice.number in page["Body"].read().decode()
    # The leaver's invoice of this run credits the unused days of last month from the 15th
    final = [
        i
        for i in InvoiceModel.query(tenant_id)
        if i.customer_id == leaver.profile["id"] and i.period_start == current.isoformat()
    ]
    assert len(final) == 1
    credits = [line for line in final[0].document["lines"] if line["amount"] < 0]
    assert credits and credits[0]["period"]["start"] == last.replace(day=15).isoformat()
    assert upgrader is not leaver


def test_the_demo_bills_a_one_off_and_credits_part_of_it(local_env, tenant_id):
    from datetime import datetime

    from infra import demo_ledger

    today = datetime.now(demo_data.STOCKHOLM).date()
    seeded = demo.seed(2, today, tenant_id, schedule_from=demo_data.month_start(today))
    done = demo_ledger.bill_and_credit(seeded["api"], seeded["customers"])
    (_, invoiced), (_, credited) = done["one-off invoice"], done["credit note"]
    invoice = InvoiceModel.get(tenant_id, invoiced["invoice"]["id"])
    assert invoice.document["kind"] == "one_off" and int(invoice.amount_due) < int(invoice.total)
    notes = [i for i in InvoiceModel.query(tenant_id) if i.document["kind"] == "credit_note"]
    assert [n.page_token for n in notes] == [credited["invoice"]["page_token"]]
    assert notes[0].document["credited_invoice_id"] == invoice.invoice_id
