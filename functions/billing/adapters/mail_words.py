"""The short emails' words and shape: one language's gettext catalog as a callable (`Words`), the letter
every confirmation is (greeting, paragraphs, sign-off), and its plain-HTML part.

The sentences live in `billing/translations/<lang>/LC_MESSAGES/messages.po` (the invoice page's own
catalogs, section "mails (issue 12)"); the msgid is the English text with `%(name)s` placeholders, as
the templates and the PDF copy have it, so the extraction test in tests/unit finds every call `t("...")`.
"""

from __future__ import annotations

from html import escape

from babel.support import Translations

from billing.adapters.renderer import LANGUAGES, translations


def reader_language(language: str, fallback: str = "en") -> str:
    """The catalog a reader gets: their language when we have it, else `fallback`."""
    return language if language in LANGUAGES else fallback


class Words:
    """One language's sentences: `t("Invoice %(number)s", number=...)` is the catalog's translation
    with the parameters filled in. Every message goes through `%`, even without parameters, as Jinja's
    newstyle gettext does, so a literal percent sign is written `%%` in both places."""

    def __init__(self, language: str) -> None:
        self.language = reader_language(language)  # the catalog's: a language we lack reads English
        self.catalog: Translations = translations(self.language)

    def __call__(self, message: str, **params: object) -> str:
        return self.catalog.gettext(message) % params

    def letter(self, name: str, paragraphs: list[str], sender: str) -> str:
        """The plain text of a short email: the greeting to `name`, the paragraphs, and the sign-off
        with `sender` on its own line."""
        # A letter greets and signs off unlike the invoice email ("Hej Anna!", and "Vänliga hälsningar"
        # without a comma), hence the context "letter"; written out so that `pybabel extract` finds it.
        greeting = str(self.catalog.pgettext("letter", "Hello %(name)s,")) % {"name": name}
        sign_off = str(self.catalog.pgettext("letter", "Best regards,"))
        return "\n\n".join([greeting, *paragraphs, f"{sign_off}\n{sender}"])


def email_html(language: str, text: str) -> str:
    """A short email's text as its HTML part: paragraphs, escaped, long links wrapped."""
    paragraphs = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8"></head>'
        '<body style="font-family:system-ui,sans-serif;overflow-wrap:anywhere">'
        f"{paragraphs}</body></html>"
    )


def short_mail(language: str, subject: str, text: str) -> tuple[str, str, str]:
    """(subject, text, html) of a short email."""
    return subject, text, email_html(language, text)
