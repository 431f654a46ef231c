"""The words of a reminder: which tone a customer gets, and the message keys with their parameters.

A reminder is a `ReminderMessage`: a subject key, body keys in order, and parameters. The email and
the re-rendered invoice page both render the same message, so they say the same thing. The texts
below (Swedish and English) are the source the renderers translate from; placeholders name
parameters. Money parameters are integers in minor units of `currency` and dates are ISO strings:
the renderer formats both for the reader's locale.

Never threatening, and never a word about debt collection: handing an invoice to a collection
partner is an operator's decision, not something a reminder announces.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from billing.domain.dunning.policy import ReminderPolicy, Tone
from billing.domain.dunning.state import CustomerHistory

LOCALES = ("sv", "en")


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
    body: list[str] = [f"dunning.reminder.opening.{tone.value}", "dunning.reminder.amount"]
    params: dict[str, str | int] = {
        "invoice_id": invoice_id,
        "currency": currency,
        "amount": amount_minor,
        "due_date": due_date_iso,
        "total": amount_minor + fee_minor + interest,
    }
    if fee_minor:
        body.append("dunning.reminder.fee")
        params["fee"] = fee_minor
    if interest:
        body.append("dunning.reminder.interest")
        params["interest"] = interest
    body.append("dunning.reminder.total")
    if relief.latest_due_date_iso:
        body.append("dunning.reminder.relief.move")
        params["latest_due_date"] = relief.latest_due_date_iso
    if relief.max_instalments:
        body.append("dunning.reminder.relief.split")
        params["max_instalments"] = relief.max_instalments
    body += ["dunning.reminder.question", "dunning.reminder.already_paid"]
    body.append(f"dunning.reminder.closing.{tone.value}")
    subject = f"dunning.reminder.subject.{tone.value}"
    return ReminderMessage(subject_key=subject, body_keys=tuple(body), params=params)


def _texts(sv: str, en: str) -> Mapping[str, str]:
    return MappingProxyType({"sv": sv, "en": en})


MESSAGES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "dunning.reminder.subject.gentle": _texts(
            "En vänlig påminnelse om faktura {invoice_id}",
            "A friendly reminder about invoice {invoice_id}",
        ),
        "dunning.reminder.subject.friendly": _texts(
            "Påminnelse om faktura {invoice_id}",
            "Reminder about invoice {invoice_id}",
        ),
        "dunning.reminder.subject.clear": _texts(
            "Faktura {invoice_id} är fortfarande obetald",
            "Invoice {invoice_id} is still unpaid",
        ),
        "dunning.reminder.opening.gentle": _texts(
            "Hej! Det är lätt hänt att en faktura glider förbi. Vi ville bara nämna att faktura "
            "{invoice_id} ännu inte verkar vara betald.",
            "Hello! It is easy for an invoice to slip by. We just wanted to mention that invoice "
            "{invoice_id} does not seem to be paid yet.",
        ),
        "dunning.reminder.opening.friendly": _texts(
            "Hej! Vi har ännu inte fått någon betalning för faktura {invoice_id}.",
            "Hello! We have not yet received a payment for invoice {invoice_id}.",
        ),
        "dunning.reminder.opening.clear": _texts(
            "Hej! Faktura {invoice_id} förföll {due_date} och är fortfarande obetald. Vi ber dig betala "
            "den nu, eller höra av dig om något hindrar dig.",
            "Hello! Invoice {invoice_id} was due on {due_date} and is still unpaid. Please pay it now, "
            "or let us know if something is in the way.",
        ),
        "dunning.reminder.amount": _texts(
            "Fakturans belopp: {amount}, förfallodag {due_date}.",
            "Invoice amount: {amount}, due date {due_date}.",
        ),
        "dunning.reminder.fee": _texts(
            "Påminnelseavgift enligt avtalet: {fee}.",
            "Reminder fee, as agreed in your contract: {fee}.",
        ),
        "dunning.reminder.interest": _texts(
            "Dröjsmålsränta enligt räntelagen hittills: {interest}.",
            "Late-payment interest under the Swedish Interest Act so far: {interest}.",
        ),
        "dunning.reminder.total": _texts(
            "Att betala: {total}.",
            "To pay: {total}.",
        ),
        "dunning.reminder.relief.move": _texts(
            "Behöver du mer tid? Du kan flytta förfallodagen en gång, till senast {latest_due_date}, "
            "direkt på fakturasidan.",
            "Need more time? You can move the due date once, to {latest_due_date} at the latest, right "
            "on the invoice page.",
        ),
        "dunning.reminder.relief.split": _texts(
            "Du kan också dela upp beloppet i upp till {max_instalments} delbetalningar på fakturasidan.",
            "You can also split the amount into up to {max_instalments} instalments on the invoice page.",
        ),
        "dunning.reminder.question": _texts(
            "Stämmer något inte? Ställ en fråga på fakturasidan, så pausar vi påminnelserna medan vi "
            "tittar på det.",
            "Something not right? Ask us on the invoice page and we will pause reminders while we look "
            "into it.",
        ),
        "dunning.reminder.already_paid": _texts(
            "Har du redan betalat? Tack, då kan du bortse från det här meddelandet.",
            "Already paid? Thank you, and please disregard this message.",
        ),
        "dunning.reminder.closing.gentle": _texts("Ha en fin dag!", "Have a lovely day!"),
        "dunning.reminder.closing.friendly": _texts("Tack på förhand!", "Thank you in advance!"),
        "dunning.reminder.closing.clear": _texts("Vänliga hälsningar", "Kind regards"),
    }
)
