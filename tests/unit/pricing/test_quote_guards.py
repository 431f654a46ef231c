"""What `billing quote` and the pricing engine refuse: negative usage, a commitment true-up driven by
negative spend, a period outside the subscription, an issue date far from its period."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pricing_builders import event, flat, lines_of, plan, scenario, usage

from billing.domain.pricing import compute_invoice
from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario import (
    parse_catalog,
    parse_customer,
    parse_subscription,
    parse_tenant_settings,
    quote_scenario,
)
from billing.domain.usage import UsageEvent

ROOT = Path(__file__).resolve().parents[3]


def test_a_negative_usage_value_is_refused_by_name() -> None:
    data = scenario(
        plan(usage("gb", "per_unit", unit_price="150")),
        events=[event(0, "2026-02-10T12:00:00+01:00", value="-380")],
    )
    with pytest.raises(ScenarioError) as err:
        quote_scenario(data)
    assert err.value.field == "events[0].value" and "negative" in err.value.reason


def test_no_commitment_line_appears_on_a_plan_without_one_even_from_negative_usage() -> None:
    # Given a plan with no minimum commitment, and (bypassing every parser) a negative usage event
    data = scenario(plan(flat(), usage("gb", "per_unit", unit_price="150")))
    negative = UsageEvent(
        id="e1",
        customer_id="c1",
        metric="m",
        timestamp=datetime(2026, 2, 10, 12, tzinfo=UTC),
        value=Decimal(-380),
    )
    # When the invoice is computed
    invoice = compute_invoice(
        tenant=parse_tenant_settings(data["tenant"], "tenant"),
        catalog=parse_catalog(data["catalog"], "catalog"),
        customer=parse_customer(data["customer"], "customer"),
        subscription=parse_subscription(data["subscription"], "subscription"),
        events=[negative],
        period_start=date(2026, 3, 1),
    )
    # Then no "Minimum commitment" line cancels anything
    assert [line.kind for line in invoice.lines if line.kind == "commitment"] == []


def test_a_commitment_is_topped_up_from_what_was_spent_never_from_below_zero() -> None:
    # Given a plan with a 500.00 commitment and no usage at all, Then the true-up is exactly 500.00
    data = scenario(plan(usage("gb", "per_unit", unit_price="150"), minimum_commitment=50000))
    (line,) = lines_of(quote_scenario(data), "commitment")
    assert line["amount"] == 50000


@pytest.mark.parametrize(
    ("period_start", "extra", "field"),
    [
        ("2025-06-01", {}, "period_start"),  # months before the subscription starts (2026-01-01)
        ("2026-09-01", {"end_date": "2026-05-01"}, "period_start"),  # months after it ended
    ],
)
def test_a_period_outside_the_subscription_is_refused(period_start: str, extra: dict, field: str) -> None:
    data = scenario(plan(flat()), period_start=period_start)
    data["subscription"].update(extra)
    with pytest.raises(ScenarioError) as err:
        quote_scenario(data)
    assert err.value.field == field


def test_the_last_arrears_period_after_the_end_is_still_quoted() -> None:
    # The invoice after the end bills the usage of the subscription's last period
    data = scenario(plan(flat()), period_start="2026-05-01")
    data["subscription"]["end_date"] = "2026-04-20"
    assert quote_scenario(data)["period"]["start"] == "2026-05-01"


@pytest.mark.parametrize("issue_date", ["1971-01-01", "2031-03-01"])
def test_an_issue_date_far_from_the_period_is_refused(issue_date: str) -> None:
    data = scenario(plan(flat()), issue_date=issue_date)
    with pytest.raises(ScenarioError) as err:
        quote_scenario(data)
    assert err.value.field == "issue_date"


def test_quote_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    # Given a quote piped into a reader that has gone before the quote prints (as `| head -0` does)
    source = tmp_path / "s.json"
    source.write_text(__import__("json").dumps(scenario(plan(flat()))))
    billing = [sys.executable, "-c", "import sys; from billing.cli import main; sys.exit(main())"]
    quote = subprocess.Popen([*billing, "quote", str(source)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert quote.stdout is not None
    quote.stdout.close()
    _, err = quote.communicate(timeout=60)
    # Then it ends without a traceback
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err
    assert quote.returncode == 0
