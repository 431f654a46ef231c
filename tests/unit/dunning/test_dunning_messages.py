"""The words: every key in the Swedish and English catalogs, placeholders filled, never threatening."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from babel.messages.pofile import read_po
from dunning_builders import DUE, RATES, a_policy, an_invoice

from billing.adapters.renderer import LANGUAGES, TRANSLATIONS_DIR, reminder_key_known, translations
from billing.domain.dunning import CustomerHistory, SendReminder, SentReminder, decide_next_action

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")

# Words a reminder must never use: no threats, no debt collection, no courts, no enforcement.
FORBIDDEN = (
    "inkasso",
    "kronofogd",
    "rättslig",
    "domstol",
    "betalningsföreläggande",
    "konsekvens",
    "collection",
    "collector",
    "bailiff",
    "court",
    "legal action",
    "enforcement",
    "consequence",
    "immediately",
    "omedelbart",
)


def _reminders() -> list[SendReminder]:
    """Reminders across the tones, with and without fee, interest and relief lines."""
    out = []
    for customer in (CustomerHistory(60, 0), CustomerHistory(6, 0), CustomerHistory(6, 5)):
        # The first step on day 5 (a move is still possible), the second on day 25 (it no longer is)
        for sent, day in (((), 5), ((SentReminder(1, DUE + timedelta(days=5)),), 25)):
            for policy in (
                a_policy(),
                a_policy(max_due_date_move_days=0, max_instalments=0, charge_interest=False),
            ):
                invoice = an_invoice(customer=customer, reminders_sent=sent)
                decision = decide_next_action(invoice, policy, RATES, DUE + timedelta(days=day))
                assert isinstance(decision, SendReminder)
                out.append(decision)
    return out


def _catalog_keys(language: str) -> set[str]:
    """The reminder keys a catalog holds (msgids named like the dunning rules' keys)."""
    with (TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {str(m.id) for m in catalog if str(m.id).startswith("dunning.reminder.")}


def _text(key: str, language: str) -> str:
    words = translations(language)
    assert reminder_key_known(words, key), (key, language)
    return words.gettext(key)


def test_every_message_has_swedish_and_english_text() -> None:
    # Given both catalogs / Then they name the same reminder keys, each with a text
    assert _catalog_keys("sv") == _catalog_keys("en") != set()
    for key in _catalog_keys("sv"):
        assert all(_text(key, language).strip() for language in LANGUAGES), key


def test_every_key_a_reminder_uses_exists_and_its_placeholders_are_given() -> None:
    reminders = _reminders()
    assert {r.tone for r in reminders} == {"gentle", "friendly", "clear"}
    for reminder in reminders:
        message = reminder.message
        for key in (message.subject_key, *message.body_keys):
            for language in LANGUAGES:
                # Then every placeholder is a parameter, so the renderer never meets a blank
                placeholders = set(_PLACEHOLDER.findall(_text(key, language)))
                assert placeholders <= set(message.params), (key, language)


def test_every_message_key_is_used_by_some_reminder() -> None:
    used = {key for r in _reminders() for key in (r.message.subject_key, *r.message.body_keys)}
    assert used == _catalog_keys("sv")


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_threatens_or_mentions_debt_collection(language: str) -> None:
    for key in _catalog_keys(language):
        lowered = _text(key, language).lower()
        assert not [word for word in FORBIDDEN if word in lowered], key


def test_a_reminder_always_offers_a_way_to_ask_and_thanks_those_who_already_paid() -> None:
    for reminder in _reminders():
        assert "dunning.reminder.question" in reminder.message.body_keys
        assert "dunning.reminder.already_paid" in reminder.message.body_keys


def test_relief_lines_appear_only_when_the_customer_can_still_choose_them() -> None:
    # Given a tenant offering both reliefs / When the first reminder goes out / Then both are offered
    offered = decide_next_action(an_invoice(), a_policy(), RATES, DUE + timedelta(days=5))
    assert isinstance(offered, SendReminder)
    assert offered.message.params["latest_due_date"] == "2025-03-28"
    assert offered.message.params["max_instalments"] == 3
    # Given the due date was already moved / Then the move is no longer offered
    moved = an_invoice(due_date_moved_to=DUE + timedelta(days=3))
    later = decide_next_action(moved, a_policy(), RATES, DUE + timedelta(days=8))
    assert isinstance(later, SendReminder)
    assert "dunning.reminder.relief.move" not in later.message.body_keys
    assert "dunning.reminder.relief.split" in later.message.body_keys
