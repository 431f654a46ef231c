"""The confirmation emails when a customer stops or changes automatic payment from the invoice page, in
their language (words from the gettext catalogs), money and dates formatted for their locale
(billing.services.payment_control, billing.services.payment_method_change)."""

from __future__ import annotations

from babel.dates import format_date

from billing.adapters.mail_words import Words, reader_language, short_mail
from billing.adapters.renderer import format_money, locale_for
from billing.services.ports import StoredInvoice


def _invoice_facts(stored: StoredInvoice, page_url: str) -> tuple[Words, dict[str, str]]:
    """The reader's words, and the invoice's number, amount, due date and link as they read them."""
    invoice = stored.invoice
    t = Words(reader_language(invoice.language))
    loc = locale_for(t.language, invoice.buyer.country or "SE")
    return t, {
        "number": invoice.number or invoice.invoice_id,
        "amount": format_money(stored.amount_due, invoice.currency, loc),
        "due": format_date(invoice.due_date, "long", locale=loc),
        "url": page_url,
    }


def _method_name(t: Words, method: str) -> str:
    # Anything we do not know as automatic is paying by oneself (the page's plain way).
    if method == "card":
        return t("automatic card payment")
    if method == "autogiro":
        return t("Autogiro")
    return t("paying yourself")


class MethodChangeConfirmationMail:
    """The confirmation when the customer changes payment method (billing.services.payment_method_change)."""

    def changed(
        self, stored: StoredInvoice, tenant_name: str, previous: str, new: str, page_url: str
    ) -> tuple[str, str, str]:
        t, facts = _invoice_facts(stored, page_url)
        if new == "card":
            what = t("Coming invoices are charged to your card on their due date.")
        elif new == "autogiro":
            what = t(
                "The mandate goes to Bankgirot; once your bank has approved it, invoices are debited from "
                "your account on their due date. Until then there is nothing you need to do."
            )
        else:
            raise ValueError(f"no confirmation for a change to {new!r}")
        if previous == "card":
            what += " " + t("We no longer charge your card.")
        elif previous == "autogiro":
            what += " " + t("The Autogiro mandate is removed in our next file to Bankgirot.")
        old_name, new_name = _method_name(t, previous), _method_name(t, new)
        text = t.letter(
            stored.invoice.buyer.name,
            [
                t(
                    "You have changed how you pay from %(old)s to %(new)s. %(what)s",
                    old=old_name,
                    new=new_name,
                    what=what,
                ),
                t("Invoice %(number)s of %(amount)s, due %(due)s:\n%(url)s", **facts),
                t("You can change or stop it on the invoice page."),
            ],
            tenant_name,
        )
        subject = t("New way to pay: %(new)s – %(tenant)s", new=new_name, tenant=tenant_name)
        return short_mail(t.language, subject, text)


class StopConfirmationMail:
    """The confirmation when the customer stops automatic payment (billing.services.payment_control)."""

    def stopped(
        self, stored: StoredInvoice, tenant_name: str, method: str, page_url: str
    ) -> tuple[str, str, str]:
        t, facts = _invoice_facts(stored, page_url)
        if method == "card":
            paragraphs = [
                t(
                    "You have stopped automatic card payment. We will not charge your card for any more "
                    "invoices. Please pay invoice %(number)s of %(amount)s yourself by %(due)s:\n%(url)s",
                    **facts,
                ),
                t("To pay automatically again, choose it on the invoice page."),
            ]
        elif method == "autogiro":
            paragraphs = [
                t(
                    "You have stopped Autogiro. The mandate is removed in our next file to Bankgirot, and "
                    "debits not already sent to your bank are withdrawn. Please pay invoice %(number)s of "
                    "%(amount)s yourself by %(due)s, unless it has been debited already:\n%(url)s",
                    **facts,
                )
            ]
        else:
            raise ValueError(f"no confirmation for stopping {method!r}")
        text = t.letter(stored.invoice.buyer.name, paragraphs, tenant_name)
        return short_mail(t.language, t("Automatic payment stopped – %(tenant)s", tenant=tenant_name), text)
