"""Marking the keys of customer-facing sentences the domain chooses but never words itself.

The domain says which sentence applies (a reminder's paragraphs, Bankgirot's reason for a failed
debit); the words are the gettext catalogs' (billing/translations), read by the adapters that render
for a reader. `key(...)` marks such a key for `pybabel extract -k key` (docs/invoice-page.md,
"Changing a text").
"""

from __future__ import annotations


def key(name: str) -> str:
    """A message key: the key itself is the value; the words are the catalogs'."""
    return name
