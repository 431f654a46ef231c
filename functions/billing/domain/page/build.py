"""`build_invoice_page`: an invoice and its context -> the page's view-model (pure, no Jinja).

Called by the billing worker after it stores an invoice, and again whenever the invoice changes state
(paid, reminder sent, question answered, automatic payment set up), so the static page never goes
stale. Each personal block is built by its own function in `blocks` and is None (or empty) when it has
nothing true to say.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from billing.domain.invoice import CREDIT_NOTE, Invoice, InvoiceLine
from billing.domain.page import blocks
from billing.domain.page.advice import Advice, advice_action, recommend
from billing.domain.page.context import LANGUAGES, PageContext, PageError
from billing.domain.page.prices import PriceBasis, price_basis
from billing.domain.page.view import (
    AutogiroNoticeView,
    InvoicePageView,
    LineGroupView,
    LineView,
    PageStatus,
    QuestionsView,
    QuestionView,
    SummaryView,
    VatRow,
)
from billing.domain.periods import Period


def build_invoice_page(invoice: Invoice, context: PageContext) -> InvoicePageView:
    """The view-model of `invoice`'s page as of `context.today`."""
    language = invoice.language if invoice.language in LANGUAGES else "en"
    summary = _summary(invoice, context)
    history = blocks.sorted_history(invoice, context)
    # Never sell to someone who is late paying or being credited.
    no_offers = summary.status in (PageStatus.OVERDUE, PageStatus.CREDIT)
    basis = price_basis(invoice, context.customer)
    groups = _groups(invoice.lines, basis)
    usage_period = _usage_period(invoice)
    advice = _advice(invoice, context, basis, history, no_offers, language)
    return InvoicePageView(
        language=language,
        country=invoice.buyer.country or "SE",
        currency=invoice.currency,
        brand=context.settings.branding,
        customer_name=invoice.buyer.name,
        invoice_id=invoice.invoice_id,
        number=invoice.number,
        kind=invoice.kind,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        period_start=invoice.period.start if invoice.period else None,
        period_last_day=invoice.period.end - timedelta(days=1) if invoice.period else None,
        summary=summary,
        groups=groups,
        vat=tuple(VatRow(v.rate, v.base, v.vat) for v in invoice.vat),
        subtotal=invoice.subtotal,
        vat_total=invoice.vat_total,
        rounding=invoice.rounding,
        total=invoice.total,
        balance_applied=invoice.balance_applied,
        reverse_charge=invoice.reverse_charge,
        notes=invoice.notes,
        seller=invoice.seller,
        buyer=invoice.buyer,
        credited_invoice_number=invoice.credited_invoice_number,
        page_url=context.links.page_url,
        seen_url=context.links.api("seen"),
        pdf_url=context.links.pdf_url,
        questions=_questions(invoice, context),
        chart=blocks.chart(invoice, history, basis),
        changes=blocks.changes(invoice, history, basis),
        tenure=blocks.tenure(invoice, context, language, history),
        plan_fit=advice.plan_fit,
        offers=advice.offers,
        poll=blocks.poll(context, language),
        announcements=advice.announcements,
        causes=blocks.causes(context, language),
        autopay=blocks.autopay(invoice, context, summary),
        reminder=blocks.reminder(context, summary),
        prices_incl_vat=basis.incl_vat,
        language_url=context.links.api("language"),
        usage_period_start=usage_period.start if usage_period else None,
        usage_period_last_day=usage_period.end - timedelta(days=1) if usage_period else None,
    )


def _advice(
    invoice: Invoice,
    context: PageContext,
    basis: PriceBasis,
    history: tuple[Invoice, ...],
    no_offers: bool,
    language: str,
) -> Advice:
    """Plan fit, offers and announcements through the one recommender, each with its one step."""
    current = context.history.current_plan_code
    advice = recommend(
        current,
        blocks.plan_fit(invoice, context, basis),
        () if no_offers else blocks.offers(invoice, context, history, basis),
        blocks.announcements(invoice, context, language),
    )
    fit = advice.plan_fit
    if fit is not None and fit.suggested is not None:
        step = advice_action(
            context.links,
            invoice,
            plan_code=fit.suggested.plan_code,
            plan_name=fit.suggested.plan_name,
            switches=context.plan_switches,
        )
        fit = replace(fit, action=step)
    rules = {rule.offer_id: rule for rule in context.settings.offers}
    offers = tuple(
        replace(
            offer,
            action=advice_action(
                context.links,
                invoice,
                plan_code=offer.plan_code,
                plan_name=offer.plan_name,
                subject=offer.title,
                charge_code=rules[offer.offer_id].charge_code,
                switches=context.plan_switches,
            ),
        )
        for offer in advice.offers
    )
    return replace(advice, plan_fit=fit, offers=offers)


def _usage_period(invoice: Invoice) -> Period | None:
    """The one period all usage lines are for, when it is not the invoice's own (usage in arrears)."""
    periods = {x.period for x in invoice.lines if x.kind == "usage" and x.period is not None}
    if len(periods) != 1:
        return None
    (period,) = periods
    return None if period == invoice.period else period


def _summary(invoice: Invoice, context: PageContext) -> SummaryView:
    state = context.state
    if state.amount_paid < 0:
        raise PageError("state.amount_paid", "must not be negative")
    remaining = max(invoice.amount_due - state.amount_paid, 0)
    # The date the customer must pay by: the one they moved it to, if they did.
    due_date = state.due_date_moved_to or invoice.due_date
    ocr = invoice.ocr
    pay_url = context.links.pay_url
    instalment: int | None = None
    days_overdue = 0
    if invoice.kind == CREDIT_NOTE or invoice.amount_due < 0:
        status = PageStatus.CREDIT
        remaining = 0
    elif state.instalments:
        # Split: what is due now is the next unpaid part, paid with its own reference (the whole
        # amount is no longer asked for, and the card payment of the parent is closed).
        unpaid = [part for part in state.instalments if not part.paid]
        if not unpaid or remaining == 0:
            status, remaining = PageStatus.PAID, 0
        else:
            part = min(unpaid, key=lambda p: (p.due_date, p.number))
            remaining, due_date, ocr, instalment = part.amount, part.due_date, part.ocr, part.number
            # The card button pays this part through its own link (where the tenant takes cards).
            pay_url = context.links.api("pay", part.token) if pay_url and part.token else None
            overdue = context.today > due_date
            status = PageStatus.OVERDUE if overdue else PageStatus.UNPAID
            days_overdue = (context.today - due_date).days if overdue else 0
    elif remaining == 0:
        status = PageStatus.PAID
    elif state.debit_date is not None and state.debit_date >= context.today:
        status = PageStatus.DEBIT_SCHEDULED
    elif state.autopay_pending:
        # Paying by hand now would pay twice once the mandate is approved and the debit follows.
        status = PageStatus.AUTOPAY_PENDING
    elif context.today > due_date:
        status = PageStatus.OVERDUE
        days_overdue = (context.today - due_date).days
    else:
        status = PageStatus.UNPAID
    payable = status in (PageStatus.UNPAID, PageStatus.OVERDUE)
    return SummaryView(
        status=status,
        amount_due=remaining,
        total=invoice.total,
        amount_paid=state.amount_paid,
        due_date=due_date,
        paid_on=state.paid_on if status is PageStatus.PAID else None,
        debit_date=state.debit_date if status is PageStatus.DEBIT_SCHEDULED else None,
        days_overdue=days_overdue,
        bankgiro=(context.bankgiro or invoice.bankgiro) if payable else None,
        ocr=ocr if payable else None,
        pay_url=pay_url if payable else None,
        instalment=instalment,
        instalments=len(state.instalments) if instalment is not None else 0,
        credit_notes=state.credit_notes,
        **_payment_control(invoice, context, status),
    )


def _payment_control(invoice: Invoice, context: PageContext, status: PageStatus) -> dict[str, Any]:
    """The method in force, and stop and change one step away, while the customer pays automatically."""
    state, links = context.state, context.links
    language = invoice.language if invoice.language in LANGUAGES else "en"
    given = state.payment_notice
    notice = AutogiroNoticeView(given.kind, given.reason(language), given.message) if given else None
    method = state.autopay_method if state.autopay_active else None
    if method is None or status in (PageStatus.CREDIT,):
        return {"payment_notice": notice}
    return {
        "autopay_method": method,
        "autopay_stop_url": links.autopay_stop_url,
        "autopay_change": tuple((m, url) for m, url in links.autopay_choices if m != method),
        "payment_notice": notice,
    }


def _decimal(text: str, field: str) -> Decimal:
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        raise PageError(field, f"not a number: {text!r}") from None


def _line(line: InvoiceLine, basis: PriceBasis) -> LineView:
    unit_price = _decimal(line.unit_price, f"lines[{line.line_id}].unit_price")
    return LineView(
        line_id=line.line_id,
        kind=line.kind,
        description=line.description,
        quantity=_decimal(line.quantity, f"lines[{line.line_id}].quantity"),
        unit=line.unit,
        unit_price=unit_price,
        amount=line.amount,
        vat_rate=line.vat_rate,
        proration=line.proration,
        is_usage=line.kind == "usage",
        shown_amount=basis.amount(line.amount, line.vat_rate),
        shown_unit_price=basis.unit_price(unit_price, line.vat_rate),
        period_start=line.period.start if line.period else None,
        period_last_day=line.period.end - timedelta(days=1) if line.period else None,
    )


def _groups(lines: tuple[InvoiceLine, ...], basis: PriceBasis) -> tuple[LineGroupView, ...]:
    # Groups keep the order their first line has on the invoice: the pricing engine already puts
    # fees before usage, and the page should read like the invoice does.
    order: list[str] = []
    by_group: dict[str, list[LineView]] = {}
    for line in lines:
        if line.group not in by_group:
            order.append(line.group)
            by_group[line.group] = []
        by_group[line.group].append(_line(line, basis))
    return tuple(
        LineGroupView(name=name, lines=tuple(by_group[name]), amount=sum(x.amount for x in by_group[name]))
        for name in order
    )


def _questions(invoice: Invoice, context: PageContext) -> QuestionsView:
    descriptions = {line.line_id: line.description for line in invoice.lines}
    # The day as the customer lived it: a question at 00:30 in Stockholm was asked "today", not
    # yesterday in UTC.
    tz = ZoneInfo(context.customer.timezone) if context.customer else UTC
    asked = tuple(
        QuestionView(
            asked_on=q.asked_at.astimezone(tz).date(),
            text=q.text,
            line_description=descriptions.get(q.line_id) if q.line_id else None,
            answered=q.answered_at is not None,
            answer=q.answer,
        )
        for q in sorted(context.state.questions, key=lambda q: q.asked_at)
    )
    return QuestionsView(
        form_url=context.links.api("questions"),
        support_email=context.settings.support_email,
        line_choices=tuple((line.line_id, line.description) for line in invoice.lines),
        asked=asked,
    )
