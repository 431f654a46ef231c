"""The usage and amount chart of the last periods, as geometry the template draws as inline SVG.

Pure arithmetic in integer viewBox units: the template only writes the numbers into <rect> and
<polyline> attributes, so no text of anyone's reaches the SVG markup and autoescaping still covers the
page. The text alternative (a table of the same numbers) is rendered next to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.domain.invoice import Invoice
from billing.domain.money import round_minor, round_to_major

MAX_PERIODS = 12
WIDTH = 360  # about the width it is drawn at on a phone, so its labels stay >= 12 px there
HEIGHT = 140
TOP = 10  # room above the tallest bar for the usage line's dots
BASELINE = HEIGHT - 2
GAP = 4


@dataclass(frozen=True)
class ChartBar:
    period_start: date
    amount: int  # the invoice total incl. VAT, minor units
    quantity: Decimal | None  # usage of the chart's metered charge that period
    current: bool
    # The period the usage figure belongs to: usage is billed in arrears, so usually the month
    # before the invoice's own period (`period_start`).
    usage_period_start: date | None
    x: int
    y: int
    width: int
    height: int
    dot_x: int
    dot_y: int | None  # None when the period had no usage figure


@dataclass(frozen=True)
class ChartView:
    bars: tuple[ChartBar, ...]
    usage_name: str  # the metered line's description ("Mobildata"), "" without usage
    unit: str  # "GB"; "" without usage
    width: int
    height: int
    min_amount: int
    max_amount: int
    average_before: int  # average amount of the periods before this one, in whole major units
    incl_vat: bool = True  # the bars are totals incl. VAT (a consumer) or excl. VAT (a business)

    @property
    def current_amount(self) -> int:
        return next(b.amount for b in self.bars if b.current)

    @property
    def usage_points(self) -> str:
        """The usage line as SVG polyline points: "x,y x,y ..." (digits only)."""
        return " ".join(f"{b.dot_x},{b.dot_y}" for b in self.bars if b.dot_y is not None)

    @property
    def has_usage(self) -> bool:
        return any(b.quantity is not None for b in self.bars)


def charge_name(descriptions: Sequence[str]) -> str:
    """One name for the lines of one charge: a tiered charge prints "Surf (0–3 GB)", "Surf (3– GB)";
    together they are "Surf". A single description is kept as it is."""
    unique = list(dict.fromkeys(descriptions))
    if len(unique) == 1:
        return unique[0]
    prefix = unique[0]
    for other in unique[1:]:
        while not other.startswith(prefix):
            prefix = prefix[:-1]
    cut = prefix.rfind(" (")
    if cut > 0:
        prefix = prefix[:cut]
    return prefix.rstrip(" (:–-") or unique[0]


def _main_usage(invoice: Invoice, series: Sequence[Invoice]) -> tuple[str, str, str] | None:
    """(charge code, name, unit) of the metered charge that drives the bill: the one that cost the
    most over the charted periods; when no usage cost anything (all of it included in the plan), the
    first metered charge on the invoice, as the tenant's catalog orders them (data before SMS)."""
    usage = [x for x in invoice.lines if x.kind == "usage" and x.charge_code]
    if not usage:
        return None
    order = list(dict.fromkeys(str(x.charge_code) for x in usage))
    totals = dict.fromkeys(order, 0)
    for inv in series:
        for x in inv.lines:
            if x.kind == "usage" and x.charge_code in totals:
                totals[str(x.charge_code)] += x.amount
    code = min(order, key=lambda c: (-totals[c], order.index(c)))
    lines = [x for x in usage if x.charge_code == code]
    return code, charge_name([x.description for x in lines]), lines[0].unit


def _usage_period_start(invoice: Invoice, charge_code: str) -> date | None:
    periods = [x.period.start for x in invoice.lines if x.charge_code == charge_code and x.period]
    return min(periods) if periods else None


def _quantity(invoice: Invoice, charge_code: str) -> Decimal | None:
    lines = [x for x in invoice.lines if x.kind == "usage" and x.charge_code == charge_code]
    if not lines:
        return None
    return sum((Decimal(x.quantity) for x in lines), Decimal(0))


def build_chart(invoice: Invoice, history: Sequence[Invoice], incl_vat: bool = True) -> ChartView | None:
    """The chart of up to 12 periods ending with `invoice`; None with no earlier invoice to compare.
    Bars are the invoice totals incl. VAT for a consumer, excl. VAT (the subtotal) for a business."""
    earlier = list(history)[-(MAX_PERIODS - 1) :]
    if not earlier:
        return None
    series = [*earlier, invoice]

    def shown(x: Invoice) -> int:
        return x.total if incl_vat else x.subtotal

    main = _main_usage(invoice, series)
    quantities = [_quantity(x, main[0]) if main else None for x in series]
    amounts = [max(shown(x), 0) for x in series]
    top_amount = max(amounts) or 1
    known = [q for q in quantities if q is not None]
    top_quantity = max(known) if known and max(known) > 0 else Decimal(1)
    slot = WIDTH // len(series)
    bar_width = slot - GAP
    drawable = BASELINE - TOP
    bars = []
    for i, (inv, amount, quantity) in enumerate(zip(series, amounts, quantities, strict=True)):
        height = max(amount * drawable // top_amount, 1 if amount else 0)
        x = i * slot + GAP // 2
        dot_y = None
        if quantity is not None:
            dot_y = BASELINE - int(quantity * drawable / top_quantity)
        bars.append(
            ChartBar(
                period_start=inv.period.start if inv.period else inv.issue_date,
                amount=shown(inv),
                quantity=quantity,
                current=inv is invoice,
                usage_period_start=_usage_period_start(inv, main[0])
                if main and quantity is not None
                else None,
                x=x,
                y=BASELINE - height,
                width=bar_width,
                height=height,
                dot_x=x + bar_width // 2,
                dot_y=dot_y,
            )
        )
    before = [shown(x) for x in earlier]
    return ChartView(
        bars=tuple(bars),
        usage_name=main[1] if main and known else "",
        unit=main[2] if main and known else "",
        width=WIDTH,
        height=HEIGHT,
        min_amount=min(shown(x) for x in series),
        max_amount=max(shown(x) for x in series),
        # Whole major units: "about 1 152 kr" is what an average can honestly claim.
        average_before=round_to_major(round_minor(Decimal(sum(before)) / len(before)), invoice.currency),
        incl_vat=incl_vat,
    )
