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
WIDTH = 600
HEIGHT = 200
TOP = 10  # room above the tallest bar for the usage line's dots
BASELINE = HEIGHT - 2
GAP = 6


@dataclass(frozen=True)
class ChartBar:
    period_start: date
    amount: int  # the invoice total incl. VAT, minor units
    quantity: Decimal | None  # usage of the chart's metered charge that period
    current: bool
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


def _main_usage(invoice: Invoice) -> tuple[str, str, str] | None:
    """(charge code, name, unit) of the metered charge with the largest amount, if any."""
    usage = [x for x in invoice.lines if x.kind == "usage" and x.charge_code]
    if not usage:
        return None
    totals: dict[str, int] = {}
    for x in usage:
        totals[str(x.charge_code)] = totals.get(str(x.charge_code), 0) + x.amount
    code = max(totals, key=lambda c: (totals[c], c))
    lines = [x for x in usage if x.charge_code == code]
    return code, charge_name([x.description for x in lines]), lines[0].unit


def _quantity(invoice: Invoice, charge_code: str) -> Decimal | None:
    lines = [x for x in invoice.lines if x.kind == "usage" and x.charge_code == charge_code]
    if not lines:
        return None
    return sum((Decimal(x.quantity) for x in lines), Decimal(0))


def build_chart(invoice: Invoice, history: Sequence[Invoice]) -> ChartView | None:
    """The chart of up to 12 periods ending with `invoice`; None with no earlier invoice to compare."""
    earlier = list(history)[-(MAX_PERIODS - 1) :]
    if not earlier:
        return None
    series = [*earlier, invoice]
    main = _main_usage(invoice)
    quantities = [_quantity(x, main[0]) if main else None for x in series]
    amounts = [max(x.total, 0) for x in series]
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
                amount=inv.total,
                quantity=quantity,
                current=inv is invoice,
                x=x,
                y=BASELINE - height,
                width=bar_width,
                height=height,
                dot_x=x + bar_width // 2,
                dot_y=dot_y,
            )
        )
    before = [x.total for x in earlier]
    return ChartView(
        bars=tuple(bars),
        usage_name=main[1] if main and known else "",
        unit=main[2] if main and known else "",
        width=WIDTH,
        height=HEIGHT,
        min_amount=min(x.total for x in series),
        max_amount=max(x.total for x in series),
        # Whole major units: "about 1 152 kr" is what an average can honestly claim.
        average_before=round_to_major(round_minor(Decimal(sum(before)) / len(before)), invoice.currency),
    )
