"""Every text the templates say is in both catalogs, and the Swedish one translates all of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po

from billing.adapters.renderer import TEMPLATES_DIR, TRANSLATIONS_DIR

_OPTIONS = {
    "**.j2": {
        "extensions": "jinja2.ext.i18n",
        "trim_blocks": "true",
        "lstrip_blocks": "true",
        "newstyle_gettext": "true",
    }
}
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# The dunning rules name their sentences by key (billing.domain.dunning.messages); everything else is
# keyed by its English text.
_KEYED = re.compile(r"[a-z_]+(\.[a-z_]+)+")


def _template_messages() -> set[str | tuple[str, ...]]:
    found = extract_from_dir(str(TEMPLATES_DIR), [("**.j2", "jinja2")], options_map=_OPTIONS)
    messages = {message for _, _, message, _, _ in found}
    # The PDF copy is laid out in Python; its texts go through `t(...)` in its layout.
    layout = Path(TEMPLATES_DIR).parent / "adapters" / "invoice_pdf.py"
    messages |= {m for _, m, _, _ in extract_from_file("python", str(layout), keywords={"t": None})}
    return messages


def _catalog(language: str) -> Catalog:
    path = Path(TRANSLATIONS_DIR) / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def _key(message: str | tuple[str, ...]) -> str:
    return message[0] if isinstance(message, tuple) else message


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_template_text_is_in_the_catalog(language: str) -> None:
    # Given the texts the templates use
    used = _template_messages()
    assert len(used) > 50
    # When the catalog is read
    catalog = _catalog(language)
    # Then each one has an entry with a translation
    entries = {_key(m): catalog.get(_key(m)) for m in used}
    missing = [key for key, entry in entries.items() if entry is None or not entry.string]
    assert missing == []


@pytest.mark.parametrize("language", ["sv", "en"])
def test_translations_keep_every_placeholder(language: str) -> None:
    for message in _catalog(language):
        if not message.id:
            continue
        if _KEYED.fullmatch(str(message.id)):
            continue  # a key, not English: test_keyed_messages_say_the_same_placeholders_in_both
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        # A plural's singular may leave out the count ("the last invoice"); every other
        # placeholder must survive translation.
        wanted = set().union(*(_PLACEHOLDER.findall(str(x)) for x in ids)) - {"num"}
        for string in strings:
            assert set(_PLACEHOLDER.findall(str(string))) - {"num"} == wanted, message.id


def test_swedish_is_not_english() -> None:
    # A catalog copied from English would pass the tests above; the Swedish one must differ.
    catalog = _catalog("sv")
    same = [
        m.id
        for m in catalog
        if m.id and m.string == m.id and m.id not in {"Autogiro", "Bankgiro", "Period", "Format"}
    ]
    assert same == []


def test_both_catalogs_hold_the_same_messages() -> None:
    # Given the two catalogs / Then neither has a message (with its context) the other lacks
    def ids(language: str) -> set[tuple[str | None, str]]:
        return {(m.context, _key(m.id)) for m in _catalog(language) if m.id}

    assert ids("sv") == ids("en")


def test_keyed_messages_say_the_same_placeholders_in_both() -> None:
    # Given a message named by key, not by its English / Then Swedish and English fill the same names
    english = {_key(m.id): m for m in _catalog("en") if m.id and _KEYED.fullmatch(_key(m.id))}
    assert english
    for message in _catalog("sv"):
        if message.id and _KEYED.fullmatch(_key(message.id)):
            found = english[_key(message.id)]
            assert set(_PLACEHOLDER.findall(str(message.string))) == set(
                _PLACEHOLDER.findall(str(found.string))
            )
