"""Test data for the invoice page: invoices, contexts and histories with readable defaults."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from billing.domain.catalog import Catalog, Charge, ChargeModel, Plan
from billing.domain.invoice import Invoice, InvoiceLine, Party, VatSummary
from billing.domain.page import (
    Announcement,
    Branding,
    History,
    InvoiceState,
    LocalText,
    LoyaltyBenefit,
    OfferRule,
    PageContext,
    PageLinks,
    PageSettings,
    PeriodUsage,
    Poll,
    Question,
)
from billing.domain.parties import Customer
from billing.domain.periods import Interval, Period, add_months
from billing.domain.usage import UsageEvent

TOKEN = "tok_0123456789abcdefABCDEF"
API = "https://api.example.test"
PAGE = f"https://pages.example.test/i/{TOKEN}"

SELLER = Party(
    name="Nordljus Mobil AB",
    address=("Storgatan 1", "111 22 Stockholm"),
    country="SE",
    org_number="556677-8899",
    vat_number="SE556677889901",
)
BUYER = Party(name="Anna Svensson", address=("Lillgatan 2", "222 33 Lund"), country="SE")


def line(
    line_id: str,
    description: str,
    amount: int,
    *,
    kind: str = "fee",
    group: str = "Mobile",
    quantity: str = "1",
    unit: str = "",
    unit_price: str | None = None,
    charge_code: str | None = None,
    vat_rate: str = "25",
) -> InvoiceLine:
    return InvoiceLine(
        line_id=line_id,
        kind=kind,
        description=description,
        quantity=quantity,
        unit=unit,
        unit_price=unit_price if unit_price is not None else str(amount),
        amount=amount,
        vat_rate=vat_rate,
        charge_code=charge_code,
        group=group,
    )


def invoice(
    lines: tuple[InvoiceLine, ...] | None = None,
    *,
    period_start: date = date(2026, 11, 1),
    language: str = "sv",
    number: str | None = "2026-000042",
    invoice_id: str | None = None,
    buyer: Party = BUYER,
    seller: Party = SELLER,
    kind: str = "period",
    **overrides: Any,
) -> Invoice:
    """A consistent invoice: VAT 25 % per rate, SEK rounding to whole kronor, amount_due = total."""
    if lines is None:
        lines = (
            line("l1", "Mobil Bas", 19_900, charge_code="base"),
            line(
                "l2",
                "Mobildata",
                5_900,
                kind="usage",
                quantity="12.4",
                unit="GB",
                unit_price="475.8064516",
                charge_code="data",
            ),
        )
    by_rate: dict[str, int] = {}
    for item in lines:
        by_rate[item.vat_rate] = by_rate.get(item.vat_rate, 0) + item.amount
    vat = tuple(VatSummary(rate, base, base * int(rate) // 100) for rate, base in sorted(by_rate.items()))
    subtotal = sum(x.amount for x in lines)
    vat_total = sum(v.vat for v in vat)
    raw = subtotal + vat_total
    total = (raw + 50) // 100 * 100 if raw >= 0 else -((-raw + 50) // 100 * 100)
    period = Period(period_start, add_months(period_start, 1))
    base = Invoice(
        invoice_id=invoice_id or f"inv_{period_start.isoformat()}",
        kind=kind,
        tenant_id="t1",
        customer_id="c1",
        currency="SEK",
        language=language,
        issue_date=period_start,
        due_date=period_start + timedelta(days=29),
        period=period,
        seller=seller,
        buyer=buyer,
        lines=lines,
        vat=vat,
        subtotal=subtotal,
        vat_total=vat_total,
        rounding=total - raw,
        total=total,
        amount_due=total,
        number=number,
        ocr="4200000000427" if number else None,
        bankgiro="5050-1055",
    )
    return replace(base, **overrides)


def context(
    *,
    today: date = date(2026, 11, 2),
    state: InvoiceState | None = None,
    history: History | None = None,
    settings: PageSettings | None = None,
    **overrides: Any,
) -> PageContext:
    return PageContext(
        settings=settings
        or PageSettings(branding=Branding(name="Nordljus Mobil"), support_email="hjalp@nordljus.example"),
        links=PageLinks(token=TOKEN, page_url=PAGE, api_base=API, pay_url=f"{API}/v1/pages/{TOKEN}/pay"),
        today=today,
        state=state or InvoiceState(),
        history=history or History(),
        **overrides,
    )


# --------------------------------------------------------------------------------------------------
# A small mobile catalog for plan fit, and usage to re-price


def mobile_catalog() -> Catalog:
    """Mini: cheap fee, dear data. Bas: middle. Max: dear fee, 30 GB included."""

    def data(code: str, price: int) -> Charge:
        return Charge(
            code=code,
            name="Mobildata",
            model=ChargeModel.PER_UNIT,
            group="Mobil",
            unit="GB",
            metric="data_gb",
            unit_price=Decimal(price),
        )

    def fee(code: str, name: str, amount: int) -> Charge:
        return Charge(code=code, name=name, model=ChargeModel.FLAT, group="Mobil", amount=amount)

    plans = {
        "mini": Plan(
            "mini",
            "Mobil Mini",
            Interval.MONTHLY,
            "SEK",
            (fee("mini_fee", "Mobil Mini", 9_900), data("mini_data", 9_900)),
        ),
        "bas": Plan(
            "bas",
            "Mobil Bas",
            Interval.MONTHLY,
            "SEK",
            (fee("bas_fee", "Mobil Bas", 19_900), data("bas_data", 4_900)),
        ),
        "max": Plan(
            "max",
            "Mobil Max",
            Interval.MONTHLY,
            "SEK",
            (
                fee("max_fee", "Mobil Max", 34_900),
                Charge(
                    code="max_data",
                    name="Mobildata",
                    model=ChargeModel.PACKAGE,
                    group="Mobil",
                    unit="GB",
                    metric="data_gb",
                    package_size=Decimal(1),
                    package_price=2_900,
                    free_units=Decimal(30),
                ),
            ),
        ),
        "yearly": Plan("yearly", "Mobil År", Interval.YEARLY, "SEK", (fee("year_fee", "Mobil År", 100),)),
    }
    return Catalog(plans=plans)


CUSTOMER = Customer(id="c1", name="Anna Svensson", address=("Lillgatan 2", "222 33 Lund"))


def usage(gb_per_month: list[str], *, first: date = date(2026, 8, 1)) -> tuple[PeriodUsage, ...]:
    """One closed monthly period per entry, each with one event of that many GB."""
    result = []
    for i, gb in enumerate(gb_per_month):
        start = add_months(first, i)
        period = Period(start, add_months(start, 1))
        event = UsageEvent(
            id=f"e{i}",
            customer_id="c1",
            metric="data_gb",
            timestamp=datetime(start.year, start.month, 10, 12, tzinfo=ZoneInfo("Europe/Stockholm")),
            value=Decimal(gb),
        )
        result.append(PeriodUsage(period=period, events=(event,), plan_code="bas"))
    return tuple(result)


def monthly_history(
    count: int, *, last_start: date = date(2026, 10, 1), **kwargs: Any
) -> tuple[Invoice, ...]:
    """`count` earlier monthly invoices ending with the one for `last_start`, oldest first."""
    return tuple(
        invoice(period_start=add_months(last_start, -i), number=None, **kwargs)
        for i in range(count - 1, -1, -1)
    )


def rich_context(
    *,
    tenant: str = "Nordljus Mobil",
    plan_name: str | None = None,
    offer_title: str = "Mer data i Max",
    question_text: str = "Varför så mycket data i oktober?",
) -> tuple[Invoice, PageContext]:
    """The 23rd invoice of a long-time, data-hungry customer, with every block switched on."""
    catalog = mobile_catalog()
    if plan_name is not None:
        plans = {c: replace(p, name=plan_name) for c, p in catalog.plans.items()}
        catalog = replace(catalog, plans=plans)
    lines = (
        line("l1", plan_name or "Mobil Bas", 19_900, charge_code="bas_fee", group="Mobil"),
        line(
            "l2",
            "Mobildata",
            49_000,
            kind="usage",
            quantity="10",
            unit="GB",
            unit_price="4900",
            charge_code="bas_data",
            group="Mobil",
        ),
        line("l3", "Extra data 5 GB", 4_900, charge_code="extra", group="Mobil"),
        line("l4", "Fiber 100", 29_900, charge_code="fiber", group="Bredband"),
        line("l5", "Router", 4_900, charge_code="router", group="Bredband"),
    )
    current = invoice(lines)
    history = tuple(_month(add_months(date(2026, 10, 1), -i), plan_name) for i in range(21, -1, -1))
    settings = PageSettings(
        branding=Branding(name=tenant, colour="#0a6e5c", logo_url="https://nordljus.example/logo.png"),
        support_email="hjalp@nordljus.example",
        loyalty=(
            LoyaltyBenefit(1, LocalText({"sv": "En gratis månad per år", "en": "One free month a year"})),
        ),
        offers=(
            OfferRule(
                "max-upgrade",
                LocalText({"sv": offer_title, "en": offer_title}),
                LocalText({"sv": "30 GB ingår, utan extrapaket.", "en": "30 GB included."}),
                "https://nordljus.example/max",
                plan_code="max",  # the same way as plan fit's advice, so both are shown
            ),
        ),
        poll=Poll(
            "nps",
            LocalText(
                {"sv": "Hur troligt är det att du rekommenderar oss?", "en": "Would you recommend us?"}
            ),
        ),
        announcements=(
            Announcement(
                "5g",
                LocalText({"sv": "5G i hela Lund", "en": "5G all over Lund"}),
                LocalText.of("Från december."),
            ),
        ),
    )
    ctx = PageContext(
        settings=settings,
        links=PageLinks(
            token=TOKEN,
            page_url=PAGE,
            api_base=API,
            pay_url=f"{API}/v1/pages/{TOKEN}/pay",
            autopay_url=f"{API}/v1/pages/{TOKEN}/autopay",
            pdf_url=f"{PAGE}.pdf",
        ),
        today=date(2026, 11, 2),
        state=InvoiceState(
            questions=(
                Question("q1", datetime(2026, 11, 2, 8, tzinfo=ZoneInfo("UTC")), question_text, line_id="l2"),
            ),
        ),
        history=History(
            previous_invoices=history,
            customer_since=date(2025, 1, 1),
            invoice_count=23,
            usage=usage(["10", "11", "9"]),
            current_plan_code="bas",
        ),
        catalog=catalog,
        customer=CUSTOMER,
    )
    return current, ctx


def _month(start: date, plan_name: str | None) -> Invoice:
    """An earlier month of the rich customer: Bas, some data, broadband, extra data every other month."""
    gb = 3 + (start.month * 7) % 9
    lines = [
        line("l1", plan_name or "Mobil Bas", 19_900, charge_code="bas_fee", group="Mobil"),
        line(
            "l2",
            "Mobildata",
            gb * 4_900,
            kind="usage",
            quantity=str(gb),
            unit="GB",
            unit_price="4900",
            charge_code="bas_data",
            group="Mobil",
        ),
    ]
    if start.month % 2:
        lines.append(line("l3", "Extra data 5 GB", 4_900, charge_code="extra", group="Mobil"))
    lines += [
        line("l4", "Fiber 100", 29_900, charge_code="fiber", group="Bredband"),
        line("l5", "Router", 4_900, charge_code="router", group="Bredband"),
    ]
    return invoice(tuple(lines), period_start=start, number=None)
