"""The mails' and small pages' words live in the gettext catalogs (issue 12): every sentence these modules
say goes through `t(...)` (billing.adapters.mail_words.Words), each such message is translated in both
catalogs, and no sentence is written into the code in a dict or a literal again."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from billing.adapters.mail_words import Words
from billing.adapters.renderer import LANGUAGES, TRANSLATIONS_DIR

PACKAGE = Path(TRANSLATIONS_DIR).parent
MODULES = (
    "adapters/mail_words.py",
    "adapters/payment_control_mail.py",
    "adapters/plan_switch_mail.py",
    "adapters/spend_alert_mail.py",
    "adapters/autogiro.py",
    "adapters/exit_page.py",
    "adapters/price_change_notice.py",
    "adapters/dunning_mail.py",
    "adapters/payment_emails.py",
    "domain/dunning/messages.py",
    "domain/autogiro/outcomes.py",
    "services/autogiro/form.py",
)
# Three words or more: a sentence, or a piece of one, that a customer would read.
_SENTENCE = re.compile(r"[A-Za-zÅÄÖåäö]+[,.:;!?]?( [A-Za-zÅÄÖåäö]+[,.:;!?]?){2,}")


def _said_through_the_catalog(module: str) -> list[tuple[str | None, str]]:
    """(context, msgid) of each message the module says, found as docs/invoice-page.md extracts them."""
    keywords = {"t": None, "key": None, "pgettext": ((1, "c"), 2)}
    found = extract_from_file("python", str(PACKAGE / module), keywords=keywords)
    return [(context, str(message)) for _, message, _, context in found]


def _sentences_outside_the_catalog(path: Path) -> list[str]:
    """String literals that read as a sentence and are neither a docstring, a `t(...)` or `key(...)`
    message, nor an exception's text (for us, not the customer)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                allowed.add(id(first.value))
        # t(...) words a message; key(...) names one the catalogs word (billing.domain.words)
        called = node.func if isinstance(node, ast.Call) else None
        translated = isinstance(called, ast.Name) and called.id in ("t", "key")
        if translated or isinstance(node, ast.Raise):
            allowed |= {id(inner) for inner in ast.walk(node)}
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in allowed
        and _SENTENCE.search(node.value)
    ]


@pytest.mark.parametrize("module", MODULES)
def test_no_customer_sentence_is_written_in_the_code(module: str) -> None:
    # Given a module that words emails or small pages / Then every sentence in it is a catalog message
    assert _sentences_outside_the_catalog(PACKAGE / module) == []


def test_the_check_finds_a_dict_of_sentences(tmp_path: Path) -> None:
    # Given the shape issue 12 removed: sentences per language in a dict
    module = tmp_path / "probe.py"
    module.write_text('TEXTS = {"sv": {"title": "Betala med Autogiro nu"}}\nx = t("Pay by Autogiro")\n')
    # Then the check names the sentence, and not the one said through the catalog
    assert _sentences_outside_the_catalog(module) == ["Betala med Autogiro nu"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_the_modules_say_is_translated(language: str) -> None:
    # Given every `t("...")` of the mail modules, the letter's frame and the reminder's keys
    messages = {m for module in MODULES for m in _said_through_the_catalog(module)}
    assert len(messages) > 50
    # When the catalog is read
    with (Path(TRANSLATIONS_DIR) / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    # Then each has an entry with a translation (a missing one would read as English, unnoticed in en)
    entries = {(context, m): catalog.get(m, context=context) for context, m in messages}
    missing = [found for found, entry in entries.items() if entry is None or not entry.string]
    assert missing == []


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("sv", "Hej Anna!\n\nTack.\n\nVänliga hälsningar\nNorrsken"),
        ("en", "Hello Anna,\n\nTack.\n\nBest regards,\nNorrsken"),
    ],
)
def test_a_letter_greets_and_signs_off_in_the_readers_words(language: str, expected: str) -> None:
    # Given the letter's frame (its own context in the catalog, unlike the invoice email's greeting)
    # When a letter is written / Then greeting, paragraphs and sign-off are joined by blank lines
    assert Words(language).letter("Anna", ["Tack."], "Norrsken") == expected


@pytest.mark.parametrize(
    ("language", "field", "expected"),
    [
        ("sv", "personnummer", "Kontrollera personnumret."),
        ("sv", "consent", "Du behöver godkänna medgivandet för att betala med Autogiro."),
        ("en", "clearing", "Please check the clearing number. (too short)"),
        ("en", "consent", "Please give your consent to pay by Autogiro."),
        ("en", "no such field", "Please check the account number. (too short)"),
    ],
)
def test_the_autogiro_form_words_its_refusal_in_the_readers_language(
    language: str, field: str, expected: str
) -> None:
    from billing.adapters.autogiro import _refusal

    # Given the check's own detail, in English; then only an English reader sees it after the sentence
    assert _refusal(Words(language), field, "too short") == expected
