"""The invoice page's blocks for what the customer keeps in their own hands (issue 18): the spend alert
they set ("tell me when this month passes X kr"), the download of their usage data, and the link to
the honest exit (with the pause taken there, if any). Added to the
rendered page like the dunning block, after the invoice's own blocks, so the page helper's view-model
is untouched; plain forms, so both work without JavaScript. Wording in the customer's language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from html import escape

from babel.dates import format_date

from billing.adapters.renderer import LANGUAGES, format_money, locale_for
from billing.domain.page.view import InvoicePageView
from billing.domain.pauses import current_pause
from billing.domain.spend_alerts import SpendAlert, SpendAlertError, tenant_default
from billing.services.customer_data.usage_export import months_available
from billing.services.ports import CustomerAccount, StoredInvoice, TenantAccount
from billing.services.spend_alerts.watch import period_start_on

TEXTS: Mapping[str, Mapping[str, str]] = {
    "alert_title": {"sv": "Avisering om förbrukning", "en": "Spending alert"},
    "alert_on": {
        "sv": "Vi mejlar dig en gång när en månads faktura passerar {amount} ({basis}).",
        "en": "We email you once when a month's invoice passes {amount} ({basis}).",
    },
    "alert_default": {
        "sv": "Det här är {tenant}s förval. Du kan ändra eller ta bort det.",
        "en": "This is {tenant}'s default. You can change or remove it.",
    },
    "alert_off": {
        "sv": "Ingen avisering är satt. Vill du få ett mejl när månadens faktura passerar ett belopp?",
        "en": "No alert is set. Would you like an email when this month's invoice passes an amount?",
    },
    "alert_fired": {
        "sv": "Den här perioden har redan passerat beloppet ({amount}); du har fått mejlet.",
        "en": "This period has passed the amount already ({amount}); the email has gone out.",
    },
    "alert_label": {
        "sv": "Säg till när månaden passerar (kr, {basis})",
        "en": "Tell me when this month passes (kr, {basis})",
    },
    "alert_save": {"sv": "Spara aviseringen", "en": "Save the alert"},
    "alert_remove": {"sv": "Ta bort aviseringen", "en": "Remove the alert"},
    "alert_note": {
        "sv": "Vi bekräftar ändringen med ett mejl.",
        "en": "We confirm the change by email.",
    },
    "incl": {"sv": "inkl. moms", "en": "incl. VAT"},
    "excl": {"sv": "exkl. moms", "en": "excl. VAT"},
    "data_title": {"sv": "Din förbrukning som fil", "en": "Your usage as a file"},
    "data_intro": {
        "sv": "Varje händelse och varje dygnssumma bakom dina fakturor, en månad i taget.",
        "en": "Every usage event and every daily total behind your invoices, one month at a time.",
    },
    "data_month": {"sv": "Månad", "en": "Month"},
    "data_kind": {"sv": "Innehåll", "en": "Contents"},
    "events": {"sv": "Varje händelse", "en": "Every event"},
    "daily": {"sv": "Summa per dygn", "en": "Total per day"},
    "data_format": {"sv": "Format", "en": "Format"},
    "data_download": {"sv": "Ladda ner", "en": "Download"},
    "exit_title": {"sv": "Ditt abonnemang", "en": "Your subscription"},
    "exit_link": {"sv": "Avsluta abonnemanget", "en": "Cancel your subscription"},
    "exit_note": {
        "sv": "Du ser slutdatum och sista fakturan innan du bestämmer dig.",
        "en": "You see the end date and the last invoice before you decide.",
    },
    "paused": {
        "sv": "Pausat: ingen avgift från {first}. Abonnemanget startar igen av sig självt {resumes}.",
        "en": "Paused: no fee from {first}. The subscription starts again by itself on {resumes}.",
    },
}


def _t(key: str, language: str, **params: str) -> str:
    return escape(TEXTS[key][language].format(**params))


def spend_alert_block(
    view: InvoicePageView,
    stored: StoredInvoice,
    tenant: TenantAccount,
    account: CustomerAccount,
    today: date,
    api_base: str,
) -> str:
    language = view.language if view.language in LANGUAGES else "en"
    loc = locale_for(language, view.country)
    alert = SpendAlert.from_dict(account.spend_alert)
    try:
        default = tenant_default(tenant.page)
    except SpendAlertError:
        default = None
    threshold = alert.effective(default)
    basis = TEXTS["incl" if not account.customer.is_business else "excl"][language]
    url = f"{api_base}/v1/pages/{stored.page_token}/spend-alert"
    parts = [
        '<section id="block-spend-alert" aria-labelledby="spend-alert-title" data-testid="spend-alert">',
        f'<h2 id="spend-alert-title">{_t("alert_title", language)}</h2>',
    ]
    if threshold:
        amount = format_money(threshold, view.currency, loc)
        parts.append(
            f'<p data-testid="spend-alert-state">{_t("alert_on", language, amount=amount, basis=basis)}'
        )
        if not alert.chosen:
            parts.append(" " + _t("alert_default", language, tenant=view.brand.name))
        parts.append("</p>")
        if alert.fired_amount is not None and alert.fired == period_start_on(tenant, account, today):
            fired = format_money(alert.fired_amount, view.currency, loc)
            note = _t("alert_fired", language, amount=fired)
            parts.append(f'<p class="muted" data-testid="spend-alert-fired">{note}</p>')
    else:
        parts.append(f'<p data-testid="spend-alert-state">{_t("alert_off", language)}</p>')
    # The form shows the amount as typed in Swedish: "500" or "499,50".
    value = (
        ""
        if not threshold
        else str(threshold // 100) + (f",{threshold % 100:02d}" if threshold % 100 else "")
    )
    parts += [
        f'<form method="post" action="{escape(url)}" data-testid="spend-alert-form">',
        f'<label for="spend-alert-amount">{_t("alert_label", language, basis=basis)}</label>',
        f'<input type="text" id="spend-alert-amount" name="amount" inputmode="decimal" autocomplete="off" '
        f'required value="{escape(value)}">',
        f'<p><button class="btn secondary" type="submit">{_t("alert_save", language)}</button></p></form>',
    ]
    if threshold:
        parts.append(
            f'<form method="post" action="{escape(url)}" data-testid="spend-alert-remove">'
            f'<button class="btn secondary" type="submit" name="remove" value="1">'
            f"{_t('alert_remove', language)}</button></form>"
        )
    parts.append(f'<p class="muted"><small>{_t("alert_note", language)}</small></p></section>')
    return "\n".join(parts)


def usage_data_block(
    view: InvoicePageView, stored: StoredInvoice, account: CustomerAccount, today: date, api_base: str
) -> str:
    language = view.language if view.language in LANGUAGES else "en"
    loc = locale_for(language, view.country)
    months = months_available(account.subscription.start_date, today)
    options = "".join(
        f'<option value="{m:%Y-%m}">{escape(format_date(m, "LLLL y", locale=loc))}</option>' for m in months
    )
    url = f"{api_base}/v1/pages/{stored.page_token}/usage"
    return "\n".join(
        [
            '<section id="block-your-data" aria-labelledby="your-data-title" data-testid="usage-download">',
            f'<h2 id="your-data-title">{_t("data_title", language)}</h2>',
            f"<p>{_t('data_intro', language)}</p>",
            f'<form method="get" action="{escape(url)}" data-testid="usage-download-form">',
            f'<label for="usage-month">{_t("data_month", language)}</label>',
            f'<select id="usage-month" name="month">{options}</select>',
            f'<label for="usage-kind">{_t("data_kind", language)}</label>',
            f'<select id="usage-kind" name="kind"><option value="events">{_t("events", language)}</option>'
            f'<option value="daily">{_t("daily", language)}</option></select>',
            f'<label for="usage-format">{_t("data_format", language)}</label>',
            '<select id="usage-format" name="format"><option value="csv">CSV</option>'
            '<option value="json">JSON</option></select>',
            f'<p><button class="btn secondary" type="submit">{_t("data_download", language)}</button></p>',
            "</form></section>",
        ]
    )


def exit_block(
    view: InvoicePageView, stored: StoredInvoice, api_base: str, account: CustomerAccount, today: date
) -> str:
    """Step one of the honest exit: a plain link to its page (services/subscriptions/customer_exit);
    above it the pause taken there, if one is running or to come (billing.domain.pauses)."""
    language = view.language if view.language in LANGUAGES else "en"
    url = f"{api_base}/v1/pages/{stored.page_token}/exit"
    pause = current_pause(account.subscription, today)
    paused = ""
    if pause is not None:
        loc = locale_for(language, account.customer.country or "SE")
        first, resumes = (format_date(d, "long", locale=loc) for d in (pause.start, pause.end))
        paused = f'<p data-testid="invoice-pause">{_t("paused", language, first=first, resumes=resumes)}</p>'
    return (
        '<section id="block-exit" aria-labelledby="exit-title" data-testid="exit">'
        f'<h2 id="exit-title">{_t("exit_title", language)}</h2>{paused}'
        f'<p><a href="{escape(url)}" data-testid="exit-link">{_t("exit_link", language)}</a></p>'
        f'<p class="muted"><small>{_t("exit_note", language)}</small></p></section>'
    )


def add_engagement_blocks(
    page_html: str,
    view: InvoicePageView,
    stored: StoredInvoice,
    tenant: TenantAccount,
    account: CustomerAccount,
    today: date,
    api_base: str,
) -> str:
    if stored.invoice.kind == "credit_note" or not stored.page_token:
        return page_html
    blocks = spend_alert_block(view, stored, tenant, account, today, api_base) + "\n"
    blocks += usage_data_block(view, stored, account, today, api_base) + "\n"
    if account.subscription.end_date is None:
        blocks += exit_block(view, stored, api_base, account, today) + "\n"
    anchor = page_html.find('<section id="block-details"')
    if anchor == -1:
        anchor = page_html.find("</main>")
    return page_html if anchor == -1 else page_html[:anchor] + blocks + page_html[anchor:]
