"""The invoice page's note about automatic payment that did not go through (docs/payments.md).

When the collector needs the customer (their bank wants them to confirm) or automatic payment stopped
(a detached or revoked method, declines on every retry), the page says so right after the summary,
above nothing the page helper's view-model owns: the note is its own section, added to the rendered
page like the dunning block, and rendered with the page's catalogs in the customer's language.
"""

from __future__ import annotations

from billing.adapters.renderer import LANGUAGES, environment
from billing.domain.page.view import InvoicePageView
from billing.services.ports import StoredInvoice


def payment_notice_kind(stored: StoredInvoice) -> str | None:
    """`ask_customer`, `fallback` or None (nothing to say) for an invoice still to be paid."""
    if stored.status != "open" or stored.invoice.kind == "credit_note":
        return None
    record = stored.state.get("stripe") or {}
    if (record.get("charge") or {}).get("status") == "ask_customer":
        return "ask_customer"
    if record.get("fallback"):
        return "fallback"
    return None


def add_payment_notice(page_html: str, view: InvoicePageView, stored: StoredInvoice) -> str:
    kind = payment_notice_kind(stored)
    if kind is None:
        return page_html
    language = view.language if view.language in LANGUAGES else "en"
    block = environment(language).get_template("payment_notice.html.j2").render(kind=kind)
    anchor = page_html.find('id="block-summary"')
    end = page_html.find("</section>", anchor) if anchor != -1 else -1
    if end == -1:
        at = page_html.find("</main>")
        return page_html if at == -1 else page_html[:at] + block + page_html[at:]
    end += len("</section>")
    return page_html[:end] + "\n" + block + page_html[end:]
