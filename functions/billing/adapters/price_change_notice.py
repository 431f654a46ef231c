"""The price-change notice as a page and an email (billing.services.price_changes.ports.NoticeSender):
the view from billing.domain.page.price_change, rendered by the invoice page's Jinja environment
(same CSS, locale and catalogs), published at `i/<token>` (the customer pages' prefix, the only one the
bucket serves) and emailed with the page's link."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from billing.adapters.renderer import RenderedEmail, environment, locale_for
from billing.domain.money import round_to_major
from billing.domain.page.price_change import PriceChangeView, price_change_view
from billing.services.ports import Clock, Mailer, PagePublisher
from billing.services.price_changes.ports import Notice, ScheduledChange, TenantCatalog

_WHITESPACE = re.compile(r"[\x00-\x20\x7f]+")
LANGUAGES = ("sv", "en")


def notice_view(
    tenant: TenantCatalog, change: ScheduledChange, notice: Notice, api_base_url: str, now: datetime
) -> PriceChangeView:
    page = tenant.page_settings
    return price_change_view(
        catalog=tenant.catalog,
        brand=page.branding,
        support_email=page.support_email,
        from_version=notice.from_version,
        new_version=change.version,
        effective_date=change.effective_date,
        reason=change.reason,
        customer_name=notice.name,
        language=notice.language if notice.language in LANGUAGES else "en",
        country=notice.country,
        periods=notice.periods,
        # "About +312 kr a year": whole kronor, as the plan-fit advice shows its estimates.
        per_year=round_to_major(notice.per_year, notice.currency),
        incl_vat=notice.incl_vat,
        suggestion=notice.suggestion,
        choice=notice.choice,
        today=now.astimezone(ZoneInfo(tenant.settings.timezone)).date(),
        action_url=f"{api_base_url.rstrip('/')}/v1/pages/{notice.page_token}/price-change",
    )


def _context(view: PriceChangeView, page_url: str) -> dict[str, Any]:
    return {"view": view, "locale": locale_for(view.language, view.country), "page_url": page_url}


def render_notice_page(view: PriceChangeView) -> str:
    return environment(view.language).get_template("price_change.html.j2").render(_context(view, ""))


def render_notice_email(view: PriceChangeView, page_url: str) -> RenderedEmail:
    env, context = environment(view.language), _context(view, page_url)
    subject = _WHITESPACE.sub(" ", env.get_template("email_price_change_subject.txt.j2").render(context))
    return RenderedEmail(
        subject=subject.strip(),
        text=env.get_template("email_price_change.txt.j2").render(context),
        html=env.get_template("email_price_change.html.j2").render(context),
    )


class JinjaNoticeSender:
    def __init__(
        self, publisher: PagePublisher, mailer: Mailer, pages_base_url: str, api_base_url: str, clock: Clock
    ) -> None:
        self.publisher = publisher
        self.mailer = mailer
        self.pages_base_url = pages_base_url.rstrip("/")
        self.api_base_url = api_base_url
        self.clock = clock

    def publish(self, tenant: TenantCatalog, change: ScheduledChange, notice: Notice) -> None:
        view = notice_view(tenant, change, notice, self.api_base_url, self.clock.now())
        body = render_notice_page(view).encode("utf-8")
        self.publisher.publish(f"i/{notice.page_token}", body, "text/html; charset=utf-8")

    def email(self, tenant: TenantCatalog, change: ScheduledChange, notice: Notice) -> None:
        view = notice_view(tenant, change, notice, self.api_base_url, self.clock.now())
        mail = render_notice_email(view, f"{self.pages_base_url}/i/{notice.page_token}")
        self.mailer.send(
            to=notice.email, subject=mail.subject, text=mail.text, html=mail.html, reply_to=view.support_email
        )
