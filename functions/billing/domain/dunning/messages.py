"""The words of a reminder: which tone a customer gets, and the message keys with their parameters.

A reminder is a `ReminderMessage`: a subject key, body keys in order, and parameters. The email and
the re-rendered invoice page both render the same message, so they say the same thing. The words
(Swedish and English) are in the gettext catalogs under these keys (billing/translations, read by
the renderer: the domain holds no customer-facing sentence); their placeholders name parameters.
Money parameters are integers in minor units of `currency` and dates are ISO strings: the renderer
formats both for the reader's locale. The keys are stored with each sent reminder, so a key, once
used, keeps its meaning.

Never threatening, and never a word about debt collection: handing an invoice to a collection
partner is an operator's decision, not something a reminder announces.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from billing.domain.dunning.policy import ReminderPolicy, Tone
from billing.domain.dunning.state import CustomerHistory
from billing.domain.words import key


def choose_tone(step_tone: Tone, history: CustomerHistory, policy: ReminderPolicy) -> Tone:
    """The tone for this customer at this step.

    A long-standing customer (tenure at least `long_standing_months`) late for the first time gets
    the gentlest words whatever the step; a customer late at least `repeated_lateness_count` times
    before gets one rung clearer than the step's tone; everyone else gets the step's tone.
    """
    if history.previous_late_invoices == 0 and history.tenure_months >= policy.long_standing_months:
        return Tone.GENTLE
    if history.previous_late_invoices >= policy.repeated_lateness_count:
        return step_tone.clearer()
    return step_tone


@dataclass(frozen=True)
class ReminderMessage:
    subject_key: str
    body_keys: tuple[str, ...]
    params: Mapping[str, str | int]

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))


@dataclass(frozen=True)
class ReliefOffer:
    """Which self-service relief the reminder may point to (what the customer can still choose)."""

    latest_due_date_iso: str | None = None
    max_instalments: int = 0


# What a tone changes: the subject, the opening and the closing.
_TONE_KEYS: Mapping[Tone, tuple[str, str, str]] = MappingProxyType(
    {
        Tone.GENTLE: (
            key("dunning.reminder.subject.gentle"),
            key("dunning.reminder.opening.gentle"),
            key("dunning.reminder.closing.gentle"),
        ),
        Tone.FRIENDLY: (
            key("dunning.reminder.subject.friendly"),
            key("dunning.reminder.opening.friendly"),
            key("dunning.reminder.closing.friendly"),
        ),
        Tone.CLEAR: (
            key("dunning.reminder.subject.clear"),
            key("dunning.reminder.opening.clear"),
            key("dunning.reminder.closing.clear"),
        ),
    }
)


def build_reminder_message(
    *,
    invoice_id: str,
    tone: Tone,
    currency: str,
    amount_minor: int,
    due_date_iso: str,
    fee_minor: int,
    interest_minor: int | None,
    relief: ReliefOffer,
) -> ReminderMessage:
    """Assemble the keys and parameters of one reminder; lines without content are left out."""
    interest = interest_minor or 0
    subject, opening, closing = _TONE_KEYS[tone]
    body: list[str] = [opening, key("dunning.reminder.amount")]
    params: dict[str, str | int] = {
        "invoice_id": invoice_id,
        "currency": currency,
        "amount": amount_minor,
        "due_date": due_date_iso,
        "total": amount_minor + fee_minor + interest,
    }
    if fee_minor:
        body.append(key("dunning.reminder.fee"))
        params["fee"] = fee_minor
    if interest:
        body.append(key("dunning.reminder.interest"))
        params["interest"] = interest
    body.append(key("dunning.reminder.total"))
    if relief.latest_due_date_iso:
        body.append(key("dunning.reminder.relief.move"))
        params["latest_due_date"] = relief.latest_due_date_iso
    if relief.max_instalments:
        body.append(key("dunning.reminder.relief.split"))
        params["max_instalments"] = relief.max_instalments
    body += [key("dunning.reminder.question"), key("dunning.reminder.already_paid"), closing]
    return ReminderMessage(subject_key=subject, body_keys=tuple(body), params=params)
