"""Properties of the engine over generated catalogs, usage and credit notes (hypothesis)."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pricing_builders import flat, plan, scenario, usage

from billing.domain.credit import credit_note, remaining_by_line
from billing.domain.invoice import Invoice
from billing.domain.ocr import is_valid_ocr, ocr_reference
from billing.domain.pricing_errors import CreditError
from billing.domain.scenario import quote_scenario

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEBRUARY = datetime(2026, 1, 31, 23, 0, tzinfo=UTC)  # 1 February 00:00 in Stockholm

prices = st.decimals(min_value=0, max_value=100000, places=3, allow_nan=False, allow_infinity=False)
quantities = st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False, allow_infinity=False)
rates = st.sampled_from(["25", "12", "6", "0"])
aggregations = st.sampled_from(["count", "sum", "max", "unique_count", "latest", "weighted_sum"])


@st.composite
def tiers(draw: st.DrawFn) -> list[dict[str, Any]]:
    bounds = sorted(draw(st.sets(st.integers(min_value=1, max_value=10**6), min_size=0, max_size=3)))
    result: list[dict[str, Any]] = [
        {"up_to": b, "unit_price": str(draw(prices)), "flat_fee": draw(st.integers(0, 10000))} for b in bounds
    ]
    result.append({"up_to": None, "unit_price": str(draw(prices))})
    return result


@st.composite
def charges(draw: st.DrawFn, index: int) -> dict[str, Any]:
    code = f"c{index}"
    model = draw(st.sampled_from(["flat", "per_unit", "graduated", "volume", "package", "percentage"]))
    vat = draw(rates)
    if model == "flat":
        return flat(code, draw(st.integers(0, 10**7)), vat_rate=vat)
    common: dict[str, Any] = {"metric": f"m{draw(st.integers(0, 2))}", "vat_rate": vat}
    if model != "percentage":
        common["aggregation"] = draw(aggregations)
        if common["aggregation"] == "unique_count":
            common["field"] = "user"
    if model == "per_unit":
        return usage(code, model, unit_price=str(draw(prices)), **common)
    if model in ("graduated", "volume"):
        return usage(code, model, tiers=draw(tiers()), **common)
    if model == "package":
        return usage(
            code,
            model,
            package_size=draw(st.integers(1, 1000)),
            package_price=draw(st.integers(0, 10**5)),
            free_units=draw(st.integers(0, 100)),
            **common,
        )
    return usage(
        code,
        model,
        percentage=str(draw(st.decimals(0, 100, places=2))),
        fixed_fee=draw(st.integers(0, 500)),
        **common,
    )


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A customer on one or two plans (a change, maybe an end), any anchor, interval, zone and VAT rules."""
    interval = draw(st.sampled_from(["monthly", "monthly", "quarterly", "yearly"]))
    currency = draw(st.sampled_from(["SEK", "SEK", "EUR"]))
    plans = []
    for code in ("p", "q"):
        the_plan = plan(*[draw(charges(i)) for i in range(draw(st.integers(1, 5)))], code=code)
        the_plan.update(interval=interval, currency=currency)
        if draw(st.booleans()):
            the_plan["minimum_commitment"] = draw(st.integers(0, 10**6))
        plans.append(the_plan)
    if draw(st.booleans()):
        for charge in plans[0]["charges"]:
            charge.pop("vat_rate")
            charge["vat_category"] = "food"
    events = []
    for i in range(draw(st.integers(0, 30))):
        offset = timedelta(seconds=draw(st.integers(-86400 * 40, 86400 * 120)))
        events.append(
            {
                "id": f"e{i}",
                "customer_id": "c1",
                "metric": f"m{draw(st.integers(0, 2))}",
                "timestamp": (FEBRUARY + offset).isoformat(),
                "value": str(draw(st.decimals(0, 10**6, places=2))),
                "properties": {"user": f"u{draw(st.integers(0, 5))}"},
            }
        )
    coupons = []
    if draw(st.booleans()):
        coupons.append(
            {
                "code": "P",
                "kind": "percentage",
                "percent": str(draw(st.decimals(0, 100, places=1))),
                "duration": "forever",
                "charge": draw(st.sampled_from([None, "c0"])),
            }
        )
    if draw(st.booleans()):
        coupons.append(
            {"code": "F", "kind": "fixed", "amount": draw(st.integers(0, 10**6)), "duration": "forever"}
        )
    start = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 80)))
    phases = [{"plan": "p", "start": start.isoformat()}]
    if draw(st.booleans()):
        phases.append({"plan": "q", "start": (start + timedelta(days=draw(st.integers(1, 60)))).isoformat()})
    data = scenario(
        *plans,
        events=events,
        coupons=coupons,
        balance=draw(st.integers(0, 10**6)),
        phases=phases,
        # A period of the subscription (billing quote refuses one before it starts or after it ends)
        period_start=(start + timedelta(days=draw(st.integers(0, 150)))).isoformat(),
    )
    data["catalog"]["vat_rates"] = {
        "food": [{"from": "2024-01-01", "rate": "12"}, {"from": "2026-04-01", "rate": "6"}]
    }
    data["subscription"]["anchor"] = draw(st.sampled_from(["calendar", "anniversary"]))
    data["customer"]["timezone"] = draw(
        st.sampled_from(["Europe/Stockholm", "America/New_York", "Asia/Tokyo"])
    )
    if draw(st.booleans()):
        last = max(date.fromisoformat(phases[-1]["start"]), date.fromisoformat(data["period_start"]))
        data["subscription"]["end_date"] = (last + timedelta(days=draw(st.integers(1, 90)))).isoformat()
        data["subscription"]["cancelled_on"] = (last + timedelta(days=draw(st.integers(-30, 60)))).isoformat()
    if draw(st.integers(0, 4)) == 0:
        data["customer"].update(country="DE", is_business=True, vat_number="DE123456789")
    return data


@SETTINGS
@given(scenarios())
def test_totals_add_up_and_rounding_stays_within_half_a_krona(data: dict[str, Any]) -> None:
    result = quote_scenario(data)
    assert result["subtotal"] == sum(x["amount"] for x in result["lines"])
    assert result["vat_total"] == sum(v["vat"] for v in result["vat"])
    assert sum(v["base"] for v in result["vat"]) == result["subtotal"]
    assert result["total"] == result["subtotal"] + result["vat_total"] + result["rounding"]
    if result["currency"] == "SEK":
        assert abs(result["rounding"]) <= 50 and result["total"] % 100 == 0
    else:
        assert result["rounding"] == 0
    assert 0 <= result["balance_applied"] <= max(result["total"], 0)
    assert result["amount_due"] == result["total"] - result["balance_applied"] >= 0 or result["total"] < 0
    assert all(isinstance(x["amount"], int) for x in result["lines"])


@SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_the_same_events_in_any_order_give_the_same_invoice(data: dict[str, Any], rnd: random.Random) -> None:
    expected = quote_scenario(data)
    rnd.shuffle(data["events"])
    assert quote_scenario(data) == expected


@SETTINGS
@given(scenarios())
def test_invoice_json_round_trip(data: dict[str, Any]) -> None:
    document = quote_scenario(data)
    assert Invoice.from_dict(json.loads(json.dumps(document))).to_dict() == document


@SETTINGS
@given(quantities, prices, st.integers(0, 10**6))
def test_volume_and_graduated_agree_on_a_single_tier(quantity: Any, price: Any, fee: int) -> None:
    tier = [{"up_to": None, "unit_price": str(price), "flat_fee": fee}]
    event = {
        "id": "e",
        "customer_id": "c1",
        "metric": "m",
        "timestamp": "2026-02-10T10:00:00Z",
        "value": str(quantity),
    }
    graduated = quote_scenario(scenario(plan(usage("g", "graduated", tiers=tier)), events=[event]))
    volume = quote_scenario(scenario(plan(usage("g", "volume", tiers=tier)), events=[event]))
    assert graduated["total"] == volume["total"]


@SETTINGS
@given(quantities, quantities, tiers())
def test_graduated_never_gets_cheaper_with_more_usage(
    a: Any, b: Any, the_tiers: list[dict[str, Any]]
) -> None:
    low, high = sorted([a, b])

    def subtotal(q: Any) -> int:
        event = {
            "id": "e",
            "customer_id": "c1",
            "metric": "m",
            "timestamp": "2026-02-10T10:00:00Z",
            "value": str(q),
        }
        result = quote_scenario(scenario(plan(usage("g", "graduated", tiers=the_tiers)), events=[event]))
        return int(result["subtotal"])

    assert subtotal(low) <= subtotal(high)


@SETTINGS
@given(
    scenarios(), st.lists(st.dictionaries(st.integers(1, 12), st.integers(1, 10**7), max_size=4), max_size=6)
)
def test_credits_never_exceed_what_they_credit(data: dict[str, Any], requests: list[dict[int, int]]) -> None:
    invoice = Invoice.from_dict(quote_scenario(data))
    notes: list[Invoice] = []
    for request in [*requests, None]:
        left = remaining_by_line(invoice, notes)
        if request is None:
            amounts = None
        else:
            # Ask only for what is allowed: positive lines, at most what is left on each.
            amounts = {str(k): min(v, left[str(k)]) for k, v in request.items() if left.get(str(k), 0) > 0}
            amounts = {
                k: v for k, v in amounts.items() if v > 0 and (invoice.line(k) or invoice.lines[0]).amount > 0
            }
            if not amounts:
                continue
        if amounts is None and all(v == 0 for v in left.values()):
            break
        try:
            notes.append(credit_note(invoice, issue_date=invoice.issue_date, amounts=amounts, previous=notes))
        except CreditError as refused:
            # Lines can be worth more than a discounted invoice: then the total left is the limit.
            assert (
                amounts is not None
                and refused.field == "amounts"
                and "left to credit on this invoice" in refused.reason
            )
            continue
        # After each note: per line, per VAT rate and in total, never more than the invoice carried
        for line in invoice.lines:
            credited = -sum(x.amount for n in notes for x in n.lines if x.credited_line_id == line.line_id)
            assert abs(credited) <= abs(line.amount)
        for v in invoice.vat:
            credited_vat = -sum(x.vat for n in notes for x in n.vat if x.rate == v.rate)
            assert abs(credited_vat) <= abs(v.vat)
        assert abs(sum(n.total for n in notes)) <= abs(invoice.total) or invoice.total < 0
    # And once everything is credited, the notes cancel the invoice exactly
    if notes and all(v == 0 for v in remaining_by_line(invoice, notes).values()):
        assert sum(n.total for n in notes) == -invoice.total
        assert sum(n.vat_total for n in notes) == -invoice.vat_total


@SETTINGS
@given(st.integers(1, 10**15), st.booleans(), st.integers(0, 30), st.integers(1, 9))
def test_ocr_references_pass_their_check_and_catch_a_changed_digit(
    n: int, length: bool, pos: int, bump: int
) -> None:
    reference = ocr_reference(str(n), length)
    assert is_valid_ocr(reference, length)
    i = pos % len(reference)
    changed = reference[:i] + str((int(reference[i]) + bump) % 10) + reference[i + 1 :]
    assert not is_valid_ocr(changed, length)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 31), st.integers(1, 31), st.integers(0, 10**7))
def test_fee_billed_in_advance_minus_unused_days_is_the_days_used(start: int, end: int, fee: int) -> None:
    # Given a subscription from `start` March, cancelled after March was billed, ending on `end` March
    start, end = sorted((start, end))
    if start == end:
        end += 1
    phases = [{"plan": "p", "start": f"2026-03-{start:02d}"}]
    march = scenario(plan(flat(amount=fee)), phases=phases, period_start="2026-03-01")
    april = scenario(plan(flat(amount=fee)), phases=phases, period_start="2026-04-01")
    end_date = f"2026-03-{end:02d}" if end <= 31 else "2026-04-01"
    april["subscription"].update(end_date=end_date, cancelled_on="2026-03-31")
    # When March and April are invoiced
    billed = sum(x["amount"] for x in quote_scenario(march)["lines"])
    credited = sum(x["amount"] for x in quote_scenario(april)["lines"])
    # Then together they charge the days used, to within the two roundings
    exact = fee * (min(end, 32) - start) / 31
    assert abs(billed + credited - exact) <= 1


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 31), st.integers(0, 10**6), st.integers(0, 10**6))
def test_upgrade_invoices_charge_each_plan_for_its_days(change: int, old_fee: int, extra: int) -> None:
    # Given a month on the old plan until `change` March and on the new plan after
    new_fee = old_fee + extra
    old, new = plan(flat(amount=old_fee), code="old"), plan(flat(amount=new_fee), code="new")
    upgrade = scenario(
        old, new, action="plan_change", plan_change={"plan": "new", "date": f"2026-03-{change:02d}"}
    )
    # When March is billed in advance on the old plan and the upgrade is invoiced
    march = sum(x["amount"] for x in quote_scenario(scenario(old, new))["lines"])
    change_invoice = quote_scenario(upgrade)["invoice"]
    # Then March costs what each plan costs for its days, to within the three roundings
    exact = (old_fee * (change - 1) + new_fee * (32 - change)) / 31
    assert abs(march + change_invoice["subtotal"] - exact) <= 1.5


@SETTINGS
@given(
    st.integers(-(10**12), 10**12),
    st.lists(st.decimals(min_value=0, max_value=10**9, places=3), min_size=1, max_size=8),
)
def test_allocate_splits_exactly_and_fairly(total: int, weights: list[Any]) -> None:
    from decimal import Decimal

    from billing.domain.money import allocate

    parts = allocate(total, weights)
    assert sum(parts) == total
    weight_sum = sum(weights, Decimal(0))
    for part, weight in zip(parts, weights, strict=True):
        exact = Decimal(total) * weight / weight_sum if weight_sum else Decimal(total) / len(weights)
        assert abs(part - exact) < 1


@SETTINGS
@given(st.integers(-(10**15), 10**15))
def test_sek_rounding_is_to_whole_kronor_within_half_a_krona(amount: int) -> None:
    from billing.domain.money import round_to_major

    rounded = round_to_major(amount, "SEK")
    assert rounded % 100 == 0 and abs(rounded - amount) <= 50
    assert round_to_major(-amount, "SEK") == -rounded  # half away from zero: symmetric
